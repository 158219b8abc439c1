// `secrets-agent secret ...` against the real store server (--url) and the embedded store
// (--data-dir): the same scenarios, the same outputs and the same error codes for both.
import { spawn } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryValue } from '../../helpers/canary.js';
import { recordLogText } from '../../helpers/log-capture.js';
import { runBufferedCli, type CliRun } from './support/buffered-cli.js';
import { scratchDir, startCliStore, writeTokenFile, type CliStore, type StoreKind } from './support/stores.js';

const binaryBytes = Buffer.from([0x76, 0x61, 0x6c, 0x75, 0x65, 0x85, 0xff, 0x33]);

interface StoredSecret {
  readonly path: string;
  readonly type: string;
  readonly value?: string;
  readonly value_base64?: string;
  readonly description?: string;
  readonly labels?: string[];
}

function expectFailure(run: CliRun, code: string, exitCode: number): void {
  expect(run.stderr, run.stdout).toContain(`(${code})`);
  expect(run.code).toBe(exitCode);
  expect(run.stderr).not.toContain(canaryValue);
  expect(run.stdout).not.toContain(canaryValue);
}

function expectOk(run: CliRun): void {
  expect(run.code, run.stderr).toBe(0);
}

// Every secret in a store, as `secret get --json` shows it (minus author and times).
async function dumpSecrets(store: CliStore): Promise<StoredSecret[]> {
  const list = await runBufferedCli(['secret', 'list', '--json', ...store.args]);
  expectOk(list);
  const secrets: StoredSecret[] = [];
  for (const path of JSON.parse(list.stdout) as string[]) {
    const got = await runBufferedCli(['secret', 'get', path, '--json', ...store.args]);
    expectOk(got);
    const {
      author: _author,
      created: _created,
      updated: _updated,
      ...rest
    } = JSON.parse(got.stdout) as StoredSecret & { author?: string; created?: string; updated?: string };
    secrets.push(rest);
  }
  return secrets;
}

describe.each<StoreKind>(['remote', 'embedded'])('secret commands against the %s store', (kind) => {
  let store: CliStore;
  let dir: string;
  const secret = (...args: string[]): Promise<CliRun> => runBufferedCli(['secret', ...args, ...store.args]);

  beforeAll(async () => {
    store = await startCliStore(kind);
    dir = await scratchDir(`cli-secret-${kind}-`);
  });

  afterAll(async () => {
    await store?.close();
  });

  it('creates, gets, lists, updates and deletes a text secret', async () => {
    expectOk(
      await runBufferedCli(
        [
          'secret',
          'create',
          'app/db/password',
          '--value-file',
          '-',
          '--description',
          'db password',
          '--label',
          'db',
          '--label',
          'prod',
          ...store.args,
        ],
        { stdin: `${canaryValue}\n` },
      ),
    );
    expectOk(await secret('create', 'app/db/user', '--value', 'admin'));
    expectOk(await secret('create', 'app/db', '--value', 'both a secret and a folder'));
    expectOk(await secret('create', 'top', '--value', 'root-level'));

    const got = await secret('get', 'app/db/password');
    expectOk(got);
    expect(got.stdout).toBe(canaryValue);
    const json = await secret('get', 'app/db/password', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({
      path: 'app/db/password',
      type: 'text',
      value: canaryValue,
      description: 'db password',
      labels: ['db', 'prod'],
    });

    expect((await secret('list')).stdout).toBe('app/db\napp/db/password\napp/db/user\ntop\n');
    expect((await secret('list', 'app')).stdout).toBe('db\ndb/password\ndb/user\n');
    expect((await secret('list', 'app/db')).stdout).toBe('password\nuser\n');
    expect(JSON.parse((await secret('list', 'app/db/user', '--json')).stdout)).toEqual([]);
    expect(JSON.parse((await secret('list', 'not/a/folder', '--json')).stdout)).toEqual([]);

    const textFile = join(dir, 'text.txt');
    await writeFile(textFile, 'line one\nline two\n');
    const updated = await secret('update', 'app/db/user', '--text-file', textFile, '--json');
    expectOk(updated);
    expect(JSON.parse(updated.stdout)).toEqual({ path: 'app/db/user', type: 'text', action: 'updated' });
    // --text-file is byte-exact; --value-file drops one trailing newline.
    expect((await secret('get', 'app/db/user')).stdout).toBe('line one\nline two\n');

    const deleted = await secret('delete', 'app/db/user', '--json');
    expectOk(deleted);
    expect(JSON.parse(deleted.stdout)).toEqual({ path: 'app/db/user', action: 'deleted' });
    expectFailure(await secret('get', 'app/db/user'), 'ERR_SECRET_NOT_FOUND', 66);
  });

  it('round-trips the bytes 76 61 6c 75 65 85 ff 33 through --file and --output (0600)', async () => {
    const input = join(dir, 'binary.in');
    await writeFile(input, binaryBytes);
    const created = await secret('create', 'bin/blob', '--file', input, '--json');
    expectOk(created);
    expect(JSON.parse(created.stdout)).toEqual({ path: 'bin/blob', type: 'binary', action: 'created' });

    const output = join(dir, 'binary.out');
    expectOk(await secret('get', 'bin/blob', '--output', output));
    expect(await readFile(output)).toEqual(binaryBytes);
    expect((await stat(output)).mode & 0o777).toBe(0o600);
    // Replacing an existing file keeps the mode (a new inode via rename, not a rewrite).
    await writeFile(output, 'old content');
    expectOk(await secret('get', 'bin/blob', '--output', output));
    expect(await readFile(output)).toEqual(binaryBytes);

    // Raw bytes to a pipe; never to a terminal.
    expect((await secret('get', 'bin/blob')).stdoutBytes).toEqual(binaryBytes);
    const tty = await runBufferedCli(['secret', 'get', 'bin/blob', ...store.args], { tty: true });
    expectFailure(tty, 'ERR_USAGE', 64);
    expect(tty.stderr).toContain('--output');
    expect(JSON.parse((await secret('get', 'bin/blob', '--json')).stdout)).toMatchObject({
      type: 'binary',
      value_base64: binaryBytes.toString('base64'),
    });

    // Binary from stdin too.
    expectOk(
      await runBufferedCli(['secret', 'create', 'bin/stdin', '--file', '-', ...store.args], { stdin: binaryBytes }),
    );
    expect((await secret('get', 'bin/stdin')).stdoutBytes).toEqual(binaryBytes);
  });

  it('fails with stable error codes and exit codes, never showing a value', async () => {
    expectOk(
      await runBufferedCli(['secret', 'create', 'errors/taken', '--value-file', '-', ...store.args], {
        stdin: canaryValue,
      }),
    );
    const taken = await runBufferedCli(['secret', 'create', 'errors/taken', '--value-file', '-', ...store.args], {
      stdin: canaryValue,
    });
    expectFailure(taken, 'ERR_SECRET_EXISTS', 65);
    expect(taken.stderr).toContain('already exists');

    for (const args of [
      ['get', 'errors/missing'],
      ['update', 'errors/missing', '--value', 'x'],
      ['delete', 'errors/missing'],
    ]) {
      const missing = await secret(...args);
      expectFailure(missing, 'ERR_SECRET_NOT_FOUND', 66);
      expect(missing.stderr).toContain('does not exist');
    }
    for (const bad of ['errors/bad name', 'errors/../escape', 'errors//double']) {
      expectFailure(await secret('get', bad), 'ERR_SECRET_PATH_INVALID', 65);
      expectFailure(await secret('create', bad, '--value', 'x'), 'ERR_SECRET_PATH_INVALID', 65);
    }
    expectFailure(await secret('create', 'errors/none'), 'ERR_USAGE', 64);
    expectFailure(await secret('create', 'errors/two', '--value', 'a', '--text-file', 'b'), 'ERR_USAGE', 64);
    const input = join(dir, 'not-text.bin');
    await writeFile(input, binaryBytes);
    expectFailure(await secret('create', 'errors/not-text', '--text-file', input), 'ERR_INPUT_INVALID', 65);
    expectFailure(await secret('create', 'errors/bin-desc', '--file', input, '--description', 'd'), 'ERR_USAGE', 64);
    expectFailure(
      await secret('create', 'errors/too-large', '--value', 'x'.repeat(1_047_553)),
      'ERR_SECRET_TOO_LARGE',
      65,
    );
    expectFailure(
      await secret('create', 'errors/unreadable', '--file', join(dir, 'does-not-exist')),
      'ERR_INPUT_INVALID',
      65,
    );
    expect(JSON.parse((await secret('list', 'errors', '--json')).stdout)).toEqual(['taken']);
  });

  it('resolves paths under --base-path and cannot leave it', async () => {
    expectOk(await secret('create', 'k', '--value', 'inside', '--base-path', 'based/folder'));
    expect((await secret('get', 'based/folder/k')).stdout).toBe('inside');
    expect((await secret('list', '--base-path', 'based')).stdout).toBe('folder/k\n');
    expect((await secret('get', 'folder/k', '--base-path', 'based/')).stdout).toBe('inside');
    expectFailure(await secret('get', '../other', '--base-path', 'based'), 'ERR_SECRET_PATH_INVALID', 65);
    expectFailure(await secret('get', '/abs', '--base-path', 'based'), 'ERR_SECRET_PATH_INVALID', 65);
  });

  it('exports a folder, one secret, or everything; the file is 0600 and holds no clear value', async () => {
    expectOk(
      await runBufferedCli(['secret', 'create', 'exp/a/canary', '--value-file', '-', ...store.args], {
        stdin: canaryValue,
      }),
    );
    expectOk(await secret('create', 'exp/a/b/c', '--value', 'C'));
    const folderFile = join(dir, 'exp-folder.json');
    const folder = await secret('export', 'exp/a', '--output', folderFile);
    expectOk(folder);
    expect(folder.stdout).toBe(`Exported 2 secrets to ${folderFile}\n`);
    expect((await stat(folderFile)).mode & 0o777).toBe(0o600);
    const text = await readFile(folderFile, 'utf8');
    expect(text).not.toContain(canaryValue);
    const document = JSON.parse(text) as { secrets: { path: string; key: string; type: string; value: string }[] };
    expect(document.secrets.map(({ path, key, type }) => ({ path, key, type }))).toEqual([
      { path: 'exp/a', key: 'b/c', type: 'text' },
      { path: 'exp/a', key: 'canary', type: 'text' },
    ]);
    expect(Buffer.from(document.secrets[1]?.value ?? '', 'base64').toString('utf8')).toBe(canaryValue);

    const single = await secret('export', 'exp/a/b/c', '--output', '-');
    expectOk(single);
    expect((JSON.parse(single.stdout) as typeof document).secrets).toMatchObject([
      { path: 'exp/a/b', key: 'c', type: 'text', value: Buffer.from('C').toString('base64') },
    ]);
    expectFailure(
      await secret('export', 'exp/nothing', '--output', join(dir, 'nothing.json')),
      'ERR_SECRET_NOT_FOUND',
      66,
    );
  });

  it('export then import into a fresh store gives identical secrets (text, binary, description, labels)', async () => {
    const fresh = await startCliStore(kind);
    try {
      const input = join(dir, 'roundtrip.bin');
      await writeFile(input, binaryBytes);
      expectOk(await secret('create', 'rt/bin', '--file', input));
      expectOk(await secret('create', 'rt/text', '--value', 'plain', '--description', 'described', '--label', 'l1'));
      const backup = join(dir, 'everything.json');
      expectOk(await secret('export', '--output', backup));

      const imported = await runBufferedCli(['secret', 'import', backup, '--json', ...fresh.args]);
      expectOk(imported);
      const before = await dumpSecrets(store);
      expect(JSON.parse(imported.stdout)).toEqual({ created: before.map((entry) => entry.path), updated: [] });
      expect(await dumpSecrets(fresh)).toEqual(before);
      expect(before.find((entry) => entry.path === 'rt/bin')).toEqual({
        path: 'rt/bin',
        type: 'binary',
        value_base64: binaryBytes.toString('base64'),
      });
      expect(before.find((entry) => entry.path === 'rt/text')).toEqual({
        path: 'rt/text',
        type: 'text',
        value: 'plain',
        description: 'described',
        labels: ['l1'],
      });
    } finally {
      await fresh.close();
    }
  });

  it('import refuses existing paths (writing nothing) unless --overwrite', async () => {
    expectOk(await secret('create', 'imp/existing', '--value', 'old'));
    const file = join(dir, 'import.json');
    await writeFile(
      file,
      JSON.stringify({
        secrets: [
          { path: 'imp', key: 'new', type: 'text', value: Buffer.from('new value').toString('base64') },
          { path: 'imp', key: 'existing', type: 'text', value: Buffer.from('replaced').toString('base64') },
        ],
      }),
    );
    const refused = await secret('import', file);
    expectFailure(refused, 'ERR_SECRET_EXISTS', 65);
    expect(refused.stderr).toContain('`imp/existing`');
    expect(refused.stderr).toContain('nothing was imported');
    expect((await secret('list', 'imp')).stdout).toBe('existing\n');

    const overwritten = await secret('import', file, '--overwrite');
    expectOk(overwritten);
    expect(overwritten.stdout).toBe('Imported 2 secrets (1 created, 1 updated)\n');
    expect((await secret('get', 'imp/existing')).stdout).toBe('replaced');
    expect((await secret('get', 'imp/new')).stdout).toBe('new value');

    // From stdin, under a base path: the file's paths are relative to it.
    const piped = await runBufferedCli(['secret', 'import', '-', '--base-path', 'relocated', ...store.args], {
      stdin: await readFile(file),
    });
    expectOk(piped);
    expect((await secret('get', 'relocated/imp/existing')).stdout).toBe('replaced');
  });

  it('import checks the whole file first: every issue with its JSON pointer, nothing written', async () => {
    const file = join(dir, 'bad-import.json');
    await writeFile(
      file,
      JSON.stringify({
        secrets: [
          { path: 'bad', key: 'good', type: 'text', value: Buffer.from('fine').toString('base64') },
          { path: 'bad', key: 'not-base64', type: 'text', value: `${canaryValue}!` },
          { path: 'bad', key: 'bad name', type: 'text', value: '' },
          { path: 'bad', key: 'bin', type: 'binary', value: binaryBytes.toString('base64'), description: 'x' },
          { path: 'bad', key: 'not-utf8', type: 'text', value: binaryBytes.toString('base64') },
          { path: 'bad', key: 'extra', type: 'secret', value: '', colour: 'red' },
          { path: 'bad', key: 'good', type: 'text', value: '' },
        ],
      }),
    );
    const run = await secret('import', file);
    expectFailure(run, 'ERR_INPUT_INVALID', 65);
    for (const pointer of [
      '/secrets/1/value',
      '/secrets/2/key',
      '/secrets/3:',
      '/secrets/4/value',
      '/secrets/5/type',
      '/secrets/5/colour',
      '/secrets/6:',
    ]) {
      expect(run.stderr).toContain(pointer);
    }
    expect(run.stderr).not.toContain('\n  /secrets/0');
    expect(JSON.parse((await secret('list', 'bad', '--json')).stdout)).toEqual([]);

    await writeFile(file, `{"secrets": [{"value": "${canaryValue}" ]}`);
    const syntax = await secret('import', file);
    expectFailure(syntax, 'ERR_INPUT_INVALID', 65);
    expect(syntax.stderr).toContain('is not valid JSON (at line 1 column');
  });

  it('answers ERR_STORE_SEALED (exit 69) while sealed', async () => {
    const sealed = await startCliStore(kind);
    try {
      expectOk(await runBufferedCli(['secret', 'create', 'kept', '--value', 'v', ...sealed.args]));
      await sealed.seal();
      for (const args of [['get', 'kept'], ['create', 'new', '--value', 'v'], ['list'], ['delete', 'kept']]) {
        expectFailure(await runBufferedCli(['secret', ...args, ...sealed.args]), 'ERR_STORE_SEALED', 69);
      }
      if (sealed.real !== undefined) {
        await sealed.real.server.store.seal.autoUnseal();
        expect((await runBufferedCli(['secret', 'get', 'kept', ...sealed.args])).stdout).toBe('v');
      }
    } finally {
      await sealed.close();
    }
  });
});

describe('secret commands: remote only', () => {
  let store: CliStore;

  beforeAll(async () => {
    store = await startCliStore('remote');
  });

  afterAll(async () => {
    await store?.close();
  });

  it('says ERR_FORBIDDEN (exit 77) with the missing permission', async () => {
    const real = store.real;
    if (real === undefined) throw new Error('remote store expected');
    const user = await real.createUser('limited', ['dcos:secrets:default:/pwx/*', 'dcos:secrets:list:default:/pwx']);
    const tokenFile = await writeTokenFile(real.url, user.uid, user.password);
    const as = ['--url', real.url, '--token-file', tokenFile];
    expectOk(await runBufferedCli(['secret', 'create', 'pwx/mine', '--value', 'v', ...as]));
    const forbidden = await runBufferedCli(['secret', 'get', 'other/secret', ...as]);
    expectFailure(forbidden, 'ERR_FORBIDDEN', 77);
    expect(forbidden.stderr).toContain('dcos:secrets:default:/other/secret');
    expectFailure(await runBufferedCli(['secret', 'list', 'other', ...as]), 'ERR_FORBIDDEN', 77);
  });

  it('an export of the server imports into the embedded store unchanged', async () => {
    const dir = await scratchDir('cli-cross-');
    const input = join(dir, 'in.bin');
    await writeFile(input, binaryBytes);
    expectOk(await runBufferedCli(['secret', 'create', 'cross/bin', '--file', input, ...store.args]));
    expectOk(await runBufferedCli(['secret', 'create', 'cross/text', '--value', 't', '--label', 'x', ...store.args]));
    const backup = join(dir, 'cross.json');
    expectOk(await runBufferedCli(['secret', 'export', 'cross', '--output', backup, ...store.args]));
    const embedded = await startCliStore('embedded');
    expectOk(await runBufferedCli(['secret', 'import', backup, ...embedded.args]));
    const fromServer = (await dumpSecrets(store)).filter((entry) => entry.path.startsWith('cross/'));
    expect(await dumpSecrets(embedded)).toEqual(fromServer);
  });

  it('writes binary bytes exactly to a pipe from a real process', async () => {
    const dir = await scratchDir('cli-pipe-');
    const input = join(dir, 'in.bin');
    await writeFile(input, binaryBytes);
    expectOk(await runBufferedCli(['secret', 'create', 'pipe/bin', '--file', input, ...store.args]));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'secret', 'get', 'pipe/bin', ...store.args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (exitCode) => resolve(exitCode)));
    recordLogText(stderr);
    expect(code, stderr).toBe(0);
    expect(Buffer.concat(out)).toEqual(binaryBytes);
  });
});
