import { spawn } from 'node:child_process';
import { sign, createPrivateKey } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';
import { commandGroups } from '../../../src/cli/commands/index.js';
import { decryptPgpMessage, readPgpPrivateKey } from '../../../src/crypto/openpgp.js';
import { createIam, type Iam } from '../../../src/store/iam/iam.js';
import { createStoreServer, type StoreServer } from '../../../src/store/server.js';
import type { StorageBackend } from '../../../src/store/storage/backend.js';
import { openStorage } from '../../../src/store/storage/open-storage.js';
import { canaryValue } from '../../helpers/canary.js';
import { createTestLogger, recordLogText } from '../../helpers/log-capture.js';
import { getTestPgpKeyPair } from '../../helpers/pgp-keypair.js';
import { rawRequest } from '../../store/support/store-server.js';
import { makeDataDir } from '../../store/support/temp-storage.js';
import { runBufferedCli as cli } from './support/buffered-cli.js';

// What an operator does by hand: read the stored bootstrap key and decrypt keys[0] with it.
async function decryptUnsealKey(
  where: string | StorageBackend,
  hexMessage: string,
  fingerprint: string,
): Promise<string> {
  const storage = typeof where === 'string' ? await openStorage({ dataDir: where }) : where;
  try {
    const stored = await storage.get(`store/default/pgp-private-keys/${fingerprint}`);
    const privateKey = await readPgpPrivateKey(Buffer.from(stored?.value ?? []).toString('utf8'), 'stored key');
    return Buffer.from(await decryptPgpMessage(new Uint8Array(Buffer.from(hexMessage, 'hex')), privateKey)).toString(
      'ascii',
    );
  } finally {
    if (typeof where === 'string') await storage.close();
  }
}

// A service login token signed with node:crypto, as DC/OS clients build it (not with our helper).
function serviceLoginToken(uid: string, privateKeyPem: string): string {
  const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ uid, exp: Math.floor(Date.now() / 1000) + 120 })}`;
  return `${input}.${sign('sha256', Buffer.from(input), createPrivateKey(privateKeyPem)).toString('base64url')}`;
}

async function login(
  url: string,
  body: Record<string, string>,
): Promise<{ status: number; token: string | undefined }> {
  const response = await rawRequest(url, {
    method: 'POST',
    path: '/acs/api/v1/auth/login',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, token: (response.json as { token?: string } | undefined)?.token };
}

interface Credential {
  login_endpoint: string;
  private_key: string;
  scheme: string;
  uid: string;
}

describe('secrets-agent store serve (child process)', () => {
  it('creates the superuser and a service account, logs the URL once, serves through the IAM, exits 0 on SIGTERM', async () => {
    const dir = await makeDataDir('cli-serve-');
    const passwordFile = join(dir, 'admin.password');
    await writeFile(passwordFile, `${canaryValue}\n`, { mode: 0o600 });
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, 'serve-break-glass-token\n', { mode: 0o600 });
    const credentialFile = join(dir, 'svc.json');
    const args = [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'store',
      'serve',
      '--data-dir',
      join(dir, 'store'),
      '--listen',
      '127.0.0.1:0',
      '--superuser',
      'admin',
      '--password-file',
      passwordFile,
      '--token-file',
      tokenFile,
      '--token-lifetime',
      '3600',
      '--service-account',
      'svc',
      '--credential-out',
      credentialFile,
      '--grant',
      'dcos:secrets:default:/svc/*:read',
    ];
    const child = spawn(process.execPath, args, { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      let listening: string | undefined;
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        for (const line of stderr.split('\n')) {
          if (line.includes('"secret store listening"')) listening = (JSON.parse(line) as { url: string }).url;
          // The credential names the listen URL, so it is written right after the listening line.
          if (listening !== undefined && line.includes('"service account created; credential written"'))
            resolve(listening);
        }
      });
      void exited.then((code) => reject(new Error(`store serve exited early (${String(code)}): ${stderr}`)));
    });
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      // The superuser logs in with the password from the file, over HTTP.
      const admin = await login(url, { uid: 'admin', password: canaryValue });
      expect(admin.status).toBe(200);
      const claims = JSON.parse(Buffer.from((admin.token ?? '').split('.')[1] ?? '', 'base64url').toString()) as {
        iat: number;
        exp: number;
      };
      expect(claims.exp - claims.iat).toBe(3600);
      const adminHeaders = { authorization: `token=${admin.token ?? ''}`, 'content-type': 'application/json' };
      expect(
        (
          await rawRequest(url, {
            method: 'PUT',
            path: '/secrets/v1/secret/default/svc/db',
            headers: adminHeaders,
            body: JSON.stringify({ value: canaryValue }),
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await rawRequest(url, {
            method: 'PUT',
            path: '/secrets/v1/secret/default/other/db',
            headers: adminHeaders,
            body: JSON.stringify({ value: 'x' }),
          })
        ).status,
      ).toBe(201);

      // The credential file: 0600, the DC/OS shape, and it logs in and reads only what --grant allowed.
      expect((await stat(credentialFile)).mode & 0o777).toBe(0o600);
      const credential = JSON.parse(await readFile(credentialFile, 'utf8')) as Credential;
      expect(Object.keys(credential)).toEqual(['login_endpoint', 'private_key', 'scheme', 'uid']);
      expect(credential).toMatchObject({ login_endpoint: `${url}/acs/api/v1/auth/login`, scheme: 'RS256', uid: 'svc' });
      const svc = await login(url, { uid: 'svc', token: serviceLoginToken('svc', credential.private_key) });
      expect(svc.status).toBe(200);
      const svcHeaders = { authorization: `token=${svc.token ?? ''}` };
      expect(
        (await rawRequest(url, { path: '/secrets/v1/secret/default/svc/db', headers: svcHeaders })).json,
      ).toMatchObject({ value: canaryValue });
      expect((await rawRequest(url, { path: '/secrets/v1/secret/default/other/db', headers: svcHeaders })).status).toBe(
        403,
      );
      expect(
        (await rawRequest(url, { method: 'PUT', path: '/secrets/v1/seal/default', headers: svcHeaders })).status,
      ).toBe(403);

      // The break-glass token is still superuser; anything else is refused.
      expect(
        (
          await rawRequest(url, {
            path: '/acs/api/v1/users',
            headers: { authorization: 'token=serve-break-glass-token' },
          })
        ).status,
      ).toBe(200);
      expect(
        (await rawRequest(url, { path: '/secrets/v1/seal-status/default', headers: { authorization: 'token=wrong' } }))
          .status,
      ).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    recordLogText(stderr);
    expect(stderr.split('\n').filter((line) => line.includes(`"url":"${url}"`))).toHaveLength(1);
    expect(stderr).toContain('"secret store stopped"');
    expect(stderr).not.toContain('serve-break-glass-token');
    expect(args.join(' ')).not.toContain(canaryValue);
  });

  it('refuses bad flags with exit 64 before opening anything', async () => {
    const dataDir = await makeDataDir('cli-usage-');
    const cases: Array<[string[], string]> = [
      [['--listen', 'nowhere'], 'Expected `--listen` to be HOST:PORT'],
      [['--service-account', 'svc'], '--service-account UID and --credential-out FILE go together'],
      [['--password-file', join(dataDir, 'pw')], '--password-file goes with --superuser UID'],
      [['--grant', 'dcos:secrets:default:/a:read'], '--grant RID:ACTION needs --service-account UID'],
      [
        [
          '--service-account',
          'svc',
          '--credential-out',
          join(dataDir, 'c.json'),
          '--grant',
          'dcos:secrets:default:/a:write',
        ],
        'Expected action to be one of',
      ],
      [
        ['--service-account', 'svc', '--credential-out', join(dataDir, 'c.json'), '--grant', 'no-colon'],
        'Expected `--grant` to be RID:ACTION',
      ],
      [['--token-lifetime', '0'], 'Expected `--token-lifetime` to be a duration of at least 1s'],
      [['--superuser', 'admin'], 'the password for superuser `admin` comes from --password-file FILE'],
      [['--superuser', 'bad uid!', '--password-file', '-'], '--superuser: Expected uid'],
      [['stray', '--superuser', 'admin', '--password-file', '-'], 'Unknown argument: stray'],
      // A usage error stops before the handler: without that, this would start serving and hang.
      [['--bogus'], 'Unknown argument: bogus'],
    ];
    for (const [flags, message] of cases) {
      const run = await cli([
        'store',
        'serve',
        '--data-dir',
        dataDir,
        ...(flags.includes('--listen') ? [] : ['--listen', '127.0.0.1:0']),
        ...flags,
      ]);
      expect(run.code, `${flags.join(' ')}: ${run.stderr}`).toBe(64);
      expect(run.stderr).toContain(message);
    }
  });
});

describe('secrets-agent store init with IAM bootstrap (local data directory)', () => {
  it('creates the superuser (password from stdin) and a service account with its grants; a store server on the directory honours them', async () => {
    const dataDir = await makeDataDir('cli-init-iam-');
    const credentialFile = join(dataDir, 'svc.json');
    const init = await cli(
      [
        'store',
        'init',
        '--data-dir',
        dataDir,
        '--superuser',
        'root',
        '--password-file',
        '-',
        '--service-account',
        'svc',
        '--credential-out',
        credentialFile,
        '--public-url',
        'https://store.example:8443',
        '--grant',
        'dcos:secrets:default:/svc/*:full',
        '--grant',
        'dcos:secrets:list:default:/svc:read',
      ],
      { stdin: `${canaryValue}\n` },
    );
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('Created superuser `root` (dcos:superuser full).');
    expect(init.stdout).toContain(
      `Created service account \`svc\`; its credential is in ${credentialFile} (mode 0600).`,
    );
    expect(`${init.stdout}${init.stderr}`).not.toContain(canaryValue);
    expect((await stat(credentialFile)).mode & 0o777).toBe(0o600);
    const credential = JSON.parse(await readFile(credentialFile, 'utf8')) as Credential;
    expect(credential.login_endpoint).toBe('https://store.example:8443/acs/api/v1/auth/login');

    const storage = await openStorage({ dataDir });
    const iam = await createIam({ storage, log: createTestLogger() });
    try {
      expect(iam.isAllowed('root', 'dcos:superuser', 'full')).toBe(true);
      expect(iam.isAllowed('svc', 'dcos:secrets:default:/svc/x', 'delete')).toBe(true);
      expect(iam.isAllowed('svc', 'dcos:secrets:list:default:/svc', 'read')).toBe(true);
      expect(iam.isAllowed('svc', 'dcos:secrets:default:/other', 'read')).toBe(false);
    } finally {
      await iam.close();
      await storage.close();
    }

    // A second init is refused, and makes no account and no file.
    const again = await cli([
      'store',
      'init',
      '--data-dir',
      dataDir,
      '--service-account',
      'svc2',
      '--credential-out',
      join(dataDir, 'svc2.json'),
      '--public-url',
      'https://s',
    ]);
    expect(again.code).toBe(65);
    await expect(stat(join(dataDir, 'svc2.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('checks the bootstrap flags before initializing anything', async () => {
    const dataDir = await makeDataDir('cli-init-flags-');
    const existing = join(dataDir, 'exists.json');
    await writeFile(existing, '{}');
    const cases: Array<[string[], number, string]> = [
      [['--service-account', 'svc', '--credential-out', join(dataDir, 'svc.json')], 64, 'needs --public-url URL'],
      [['--service-account', 'svc', '--credential-out', existing, '--public-url', 'https://s'], 64, 'already exists'],
      [
        [
          '--service-account',
          'svc',
          '--credential-out',
          join(dataDir, 'no', 'dir', 'c.json'),
          '--public-url',
          'https://s',
        ],
        78,
        'cannot write (ENOENT)',
      ],
      [['--superuser', 'root', '--password-file', join(dataDir, 'missing')], 78, 'cannot read'],
    ];
    for (const [flags, code, message] of cases) {
      const run = await cli(['store', 'init', '--data-dir', dataDir, ...flags]);
      expect(run.code, `${flags.join(' ')}: ${run.stderr}`).toBe(code);
      expect(run.stderr).toContain(message);
    }
    const status = await cli(['store', 'seal-status', '--data-dir', dataDir, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ initialized: false });
    expect(JSON.parse(await readFile(existing, 'utf8'))).toEqual({});
  });

  it('reads the password from a terminal prompt with echo off, asking twice', async () => {
    const dataDir = await makeDataDir('cli-init-tty-');
    const terminal = Object.assign(new PassThrough(), {
      isTTY: true,
      rawModes: [] as boolean[],
      setRawMode(raw: boolean) {
        terminal.rawModes.push(raw);
        return terminal;
      },
    });
    let stderr = '';
    const stderrStream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        stderr += chunk.toString();
        // Typed only when asked, like a person.
        if (chunk.toString().startsWith('Password for')) terminal.write(`${canaryValue}x\u007f\r`);
        if (chunk.toString().startsWith('Repeat')) terminal.write(`${canaryValue}\r`);
        callback();
      },
    });
    let stdout = '';
    const code = await runCli(
      ['store', 'init', '--data-dir', dataDir, '--superuser', 'root'],
      {
        stdin: terminal,
        stdout: new Writable({
          write(chunk: Buffer, _encoding, callback) {
            stdout += chunk.toString();
            callback();
          },
        }),
        stderr: stderrStream,
        env: {},
        cwd: process.cwd(),
      },
      { groups: commandGroups },
    );
    recordLogText(stderr);
    expect(code, JSON.stringify(stderr)).toBe(0);
    expect(stdout).toContain('Created superuser `root`');
    expect(stderr).toContain('Password for superuser `root`: ');
    expect(stderr).not.toContain(canaryValue);
    expect(terminal.rawModes).toEqual([true, false, true, false]);
    const storage = await openStorage({ dataDir });
    const iam = await createIam({ storage, log: createTestLogger() });
    try {
      await expect(iam.login({ uid: 'root', password: canaryValue }, 'test')).resolves.toMatchObject({ uid: 'root' });
    } finally {
      await iam.close();
      await storage.close();
    }
  });
});

describe('secrets-agent store init / seal / unseal / seal-status (local data directory)', () => {
  it('bootstrap init prints the InitResponse JSON; seal, unseal with --key-file or stdin; refuses a second init', async () => {
    const dataDir = await makeDataDir('cli-init-');
    const init = await cli(['store', 'init', '--data-dir', dataDir, '--json']);
    expect(init.code, init.stderr).toBe(0);
    const body = JSON.parse(init.stdout) as { initialized: boolean; keys: string[]; pgp_fingerprints: string[] };
    expect(body.initialized).toBe(true);
    expect(body.keys[0]).toMatch(/^[0-9a-f]+$/);
    expect(body.pgp_fingerprints[0]).toMatch(/^[0-9a-f]{40}$/);

    const again = await cli(['store', 'init', '--data-dir', dataDir]);
    expect(again.code).toBe(65);
    expect(again.stderr).toContain('already initialized');

    expect(JSON.parse((await cli(['store', 'seal-status', '--data-dir', dataDir, '--json'])).stdout)).toEqual({
      sealed: false,
      threshold: 1,
      shares: 1,
      progress: 0,
      initialized: true,
      sealIntent: false,
      autoUnseal: true,
    });
    expect((await cli(['store', 'seal-status', '--data-dir', dataDir])).stdout).toBe(
      'Sealed at next start: no\nInitialized: yes\nSealed on purpose (seal intent): no\nAuto-unseal key kept in storage: yes\n',
    );
    const sealed = await cli(['store', 'seal', '--data-dir', dataDir, '--json']);
    expect(sealed.code, sealed.stderr).toBe(0);
    expect(JSON.parse(sealed.stdout)).toMatchObject({ sealed: true });
    const sealedAgain = await cli(['store', 'seal', '--data-dir', dataDir]);
    expect(sealedAgain.code).toBe(65);
    expect(JSON.parse((await cli(['store', 'seal-status', '--data-dir', dataDir, '--json'])).stdout)).toMatchObject({
      sealed: true,
      sealIntent: true,
    });

    const wrongKeyFile = join(dataDir, 'wrong.key');
    await writeFile(wrongKeyFile, `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    const wrong = await cli(['store', 'unseal', '--data-dir', dataDir, '--key-file', wrongKeyFile]);
    expect(wrong.code).toBe(65);
    expect(wrong.stderr).toContain('unseal key is wrong');
    expect(JSON.parse((await cli(['store', 'seal-status', '--data-dir', dataDir, '--json'])).stdout)).toMatchObject({
      sealed: true,
    });

    const unsealKey = await decryptUnsealKey(dataDir, body.keys[0] ?? '', body.pgp_fingerprints[0] ?? '');
    const unsealed = await cli(['store', 'unseal', '--data-dir', dataDir, '--json'], { stdin: `${unsealKey}\n` });
    expect(unsealed.code, unsealed.stderr).toBe(0);
    expect(JSON.parse(unsealed.stdout)).toEqual({ sealed: false, threshold: 1, shares: 1, progress: 0 });
    expect(JSON.parse((await cli(['store', 'seal-status', '--data-dir', dataDir, '--json'])).stdout)).toMatchObject({
      sealed: false,
      sealIntent: false,
    });
    // The plain unseal key is never printed or logged.
    expect(`${init.stdout}${init.stderr}${unsealed.stdout}${unsealed.stderr}`).not.toContain(unsealKey);

    // --auto uses the bootstrap key kept in storage.
    expect((await cli(['store', 'seal', '--data-dir', dataDir])).stdout).toContain('Store sealed');
    const auto = await cli(['store', 'unseal', '--data-dir', dataDir, '--auto']);
    expect(auto.code, auto.stderr).toBe(0);
    expect(auto.stdout).toBe('Store unsealed.\n');
  });

  it('init with --pgp-public-key keeps no private key: the store will start sealed', async () => {
    const dataDir = await makeDataDir('cli-operator-');
    const pair = await getTestPgpKeyPair();
    const keyFile = join(dataDir, 'operator.asc');
    await writeFile(keyFile, pair.publicKeyArmored);
    const init = await cli(['store', 'init', '--data-dir', dataDir, '--pgp-public-key', keyFile]);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain(`PGP fingerprint: ${pair.fingerprint}`);
    expect(init.stdout).toContain('No private key is kept');
    expect(JSON.parse((await cli(['store', 'seal-status', '--data-dir', dataDir, '--json'])).stdout)).toMatchObject({
      sealed: true,
      sealIntent: false,
      autoUnseal: false,
    });

    const bad = join(dataDir, 'bad.asc');
    await writeFile(bad, 'not a key');
    const refused = await cli(['store', 'init', '--data-dir', await makeDataDir('cli-bad-'), '--pgp-public-key', bad]);
    expect(refused.code).toBe(78);
    expect(refused.stderr).toContain(`--pgp-public-key ${bad}`);
  });

  it('names the store or refuses: neither --url nor --data-dir, or both, is a usage error (64)', async () => {
    for (const command of [['seal'], ['unseal', '--auto'], ['seal-status'], ['init']]) {
      const neither = await cli(['store', ...command]);
      expect(neither.code).toBe(64);
      expect(neither.stderr).toContain(
        'name the store: --url URL for a store server (or set DCOS_CLUSTER_URL), or --data-dir DIR',
      );
      const both = await cli(['store', ...command, '--url', 'http://127.0.0.1:1', '--data-dir', '/tmp']);
      expect(both.code).toBe(64);
      expect(both.stderr).toContain('not both');
    }
  });
});

// A store server with the real IAM on 127.0.0.1:0 over a fresh data directory.
async function startServer(initialize: boolean): Promise<{
  url: string;
  dataDir: string;
  passwordFile: string;
  iam: Iam;
  server: StoreServer;
  storage: StorageBackend;
  close(): Promise<void>;
}> {
  const dataDir = await makeDataDir('cli-remote-');
  const log = createTestLogger();
  const storage = await openStorage({ dataDir, log });
  const iam = await createIam({ storage, log });
  await iam.createUser({ uid: 'admin', password: canaryValue });
  await iam.grant({ uid: 'admin', rid: 'dcos:superuser', action: 'full' }, { createAcl: true });
  await iam.createUser({ uid: 'reader', password: canaryValue });
  const server = await createStoreServer({
    storage,
    access: iam.access,
    routes: iam.routes,
    log,
    listen: { host: '127.0.0.1', port: 0 },
    closeGraceMs: 100,
    initialize: initialize ? { keyPair: await getTestPgpKeyPair() } : false,
  });
  const passwordFile = join(dataDir, 'admin.password');
  await writeFile(passwordFile, canaryValue, { mode: 0o600 });
  return {
    url: server.url,
    dataDir,
    passwordFile,
    iam,
    server,
    storage,
    async close() {
      await server.close();
      await iam.close();
      await storage.close();
    },
  };
}

describe('secrets-agent store init / seal / unseal / seal-status --url (remote, as a superuser)', () => {
  let remote: Awaited<ReturnType<typeof startServer>>;
  let auth: string[];

  beforeAll(async () => {
    remote = await startServer(true);
    auth = ['--url', remote.url, '--username', 'admin', '--password-file', remote.passwordFile];
  });

  afterAll(async () => {
    await remote.close();
  });

  it('seal-status, seal, unseal with the decrypted key from stdin, seal, unseal --auto: JSON and human output', async () => {
    const status = await cli(['store', 'seal-status', ...auth, '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toEqual({ sealed: false, threshold: 1, shares: 1, progress: 0 });
    expect((await cli(['store', 'seal-status', ...auth])).stdout).toBe('Sealed: no\n');

    const sealed = await cli(['store', 'seal', ...auth]);
    expect(sealed.code, sealed.stderr).toBe(0);
    expect(sealed.stdout).toBe('Store sealed; it stays sealed across restarts until unsealed.\n');
    expect(remote.server.store.seal.sealed).toBe(true);
    expect((await cli(['store', 'seal', ...auth])).code).toBe(65);

    const info = await cli(['store', 'init', ...auth, '--json']);
    expect(info.code, info.stderr).toBe(0);
    const body = JSON.parse(info.stdout) as { initialized: boolean; keys: string[]; pgp_fingerprints: string[] };
    expect(body.initialized).toBe(true);
    const unsealKey = await decryptUnsealKey(remote.storage, body.keys[0] ?? '', body.pgp_fingerprints[0] ?? '');

    const wrongKeyFile = join(remote.dataDir, 'wrong.key');
    await writeFile(wrongKeyFile, 'ab'.repeat(32), { mode: 0o600 });
    const wrong = await cli(['store', 'unseal', ...auth, '--key-file', wrongKeyFile]);
    expect(wrong.code).toBe(65);
    expect(wrong.stderr).toContain('ERR_UNSEAL_KEY_INVALID');

    const unsealed = await cli(['store', 'unseal', ...auth, '--json'], { stdin: `${unsealKey}\n` });
    expect(unsealed.code, unsealed.stderr).toBe(0);
    expect(JSON.parse(unsealed.stdout)).toEqual({ sealed: false, threshold: 1, shares: 1, progress: 0 });
    expect(remote.server.store.seal.sealed).toBe(false);

    expect((await cli(['store', 'seal', ...auth])).code).toBe(0);
    const auto = await cli(['store', 'unseal', ...auth, '--auto']);
    expect(auto.code, auto.stderr).toBe(0);
    expect(auto.stdout).toBe('Store unsealed.\n');
    expect(`${status.stderr}${sealed.stderr}${unsealed.stdout}${unsealed.stderr}`).not.toContain(canaryValue);
    expect(`${info.stdout}${unsealed.stdout}${unsealed.stderr}`).not.toContain(unsealKey);
  });

  it('init on an initialized server shows its encrypted unseal key; refuses a new operator key (65)', async () => {
    const human = await cli(['store', 'init', ...auth]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`Store at ${remote.url} was already initialized; its encrypted unseal key:`);
    expect(human.stdout).toMatch(/Encrypted unseal key \(hex; `xxd -r -p \| gpg -d` opens it\): [0-9a-f]+/);
    const keyFile = join(remote.dataDir, 'operator.asc');
    await writeFile(keyFile, (await getTestPgpKeyPair()).publicKeyArmored);
    const refused = await cli(['store', 'init', ...auth, '--pgp-public-key', keyFile]);
    expect(refused.code).toBe(65);
    expect(refused.stderr).toContain('ERR_STORE_ALREADY_INITIALIZED');
    const withBootstrap = await cli([
      'store',
      'init',
      ...auth,
      '--superuser',
      'x',
      '--password-file',
      remote.passwordFile,
    ]);
    expect(withBootstrap.code).toBe(64);
    expect(withBootstrap.stderr).toContain('use `secrets-agent iam user create`');
  });

  it('a caller without dcos:superuser gets 77 naming the permission; no credential is 77 too', async () => {
    const denied = await cli([
      'store',
      'seal',
      '--url',
      remote.url,
      '--username',
      'reader',
      '--password-file',
      remote.passwordFile,
    ]);
    expect(denied.code).toBe(77);
    expect(denied.stderr).toContain('dcos:superuser');
    expect(remote.server.store.seal.sealed).toBe(false);
    const anonymous = await cli(['store', 'seal-status', '--url', remote.url, '--state-dir', remote.dataDir]);
    expect(anonymous.code).toBe(77);
  });

  it('init --url initializes a server started without auto-init, with the operator key', async () => {
    const fresh = await startServer(false);
    try {
      const keyFile = join(fresh.dataDir, 'operator.asc');
      const pair = await getTestPgpKeyPair();
      await writeFile(keyFile, pair.publicKeyArmored);
      const init = await cli([
        'store',
        'init',
        '--url',
        fresh.url,
        '--username',
        'admin',
        '--password-file',
        fresh.passwordFile,
        '--pgp-public-key',
        keyFile,
      ]);
      expect(init.code, init.stderr).toBe(0);
      expect(init.stdout).toContain(`Initialized the store at ${fresh.url}`);
      expect(init.stdout).toContain(`PGP fingerprint: ${pair.fingerprint}`);
      expect(fresh.server.store.seal.initialized).toBe(true);
      expect(fresh.server.store.seal.canAutoUnseal()).toBe(false);
    } finally {
      await fresh.close();
    }
  });
});
