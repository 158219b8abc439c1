import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/run-cli.js';
import { decryptPgpMessage, readPgpPrivateKey } from '../../../src/crypto/openpgp.js';
import { openStorage } from '../../../src/store/storage/open-storage.js';
import { canaryValue } from '../../helpers/canary.js';
import { recordLogText } from '../../helpers/log-capture.js';
import { getTestPgpKeyPair } from '../../helpers/pgp-keypair.js';
import { rawRequest } from '../../store/support/store-server.js';
import { makeDataDir } from '../../store/support/temp-storage.js';

interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function cli(args: readonly string[], stdin = ''): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (text: string) => void): Writable => new Writable({
    write(chunk: Buffer, _encoding, callback) {
      append(chunk.toString('utf8'));
      callback();
    },
  });
  const code = await runCli(args, {
    stdin: Readable.from([Buffer.from(stdin)]),
    stdout: sink((text) => { stdout += text; }),
    stderr: sink((text) => { stderr += text; }),
    env: {},
    cwd: process.cwd(),
  });
  recordLogText(stderr);
  return { code, stdout, stderr };
}

// What an operator does by hand: read the stored bootstrap key and decrypt keys[0] with it.
async function decryptUnsealKey(dataDir: string, hexMessage: string, fingerprint: string): Promise<string> {
  const storage = await openStorage({ dataDir });
  try {
    const stored = await storage.get(`store/default/pgp-private-keys/${fingerprint}`);
    const privateKey = await readPgpPrivateKey(Buffer.from(stored?.value ?? []).toString('utf8'), 'stored key');
    return Buffer.from(await decryptPgpMessage(new Uint8Array(Buffer.from(hexMessage, 'hex')), privateKey)).toString('ascii');
  } finally {
    await storage.close();
  }
}

describe('secrets-agent store serve (child process)', () => {
  it('initializes on first start, logs the URL, serves, and exits 0 on SIGTERM', async () => {
    const dataDir = await makeDataDir('cli-serve-');
    const tokenFile = join(dataDir, 'token');
    await writeFile(tokenFile, 'serve-test-token\n', { mode: 0o600 });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'store', 'serve', '--data-dir', join(dataDir, 'store'), '--listen', '127.0.0.1:0', '--token-file', tokenFile], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString('utf8');
        for (const line of stderr.split('\n')) {
          if (!line.includes('"secret store listening"')) continue;
          resolve((JSON.parse(line) as { url: string }).url);
        }
      });
      void exited.then((code) => reject(new Error(`store serve exited early (${String(code)}): ${stderr}`)));
    });
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const headers = { authorization: 'token=serve-test-token', 'content-type': 'application/json' };
      expect((await rawRequest(url, { method: 'PUT', path: '/secrets/v1/secret/default/cli/canary', headers, body: JSON.stringify({ value: canaryValue }) })).status).toBe(201);
      expect((await rawRequest(url, { path: '/secrets/v1/secret/default/cli/canary', headers })).json).toMatchObject({ value: canaryValue });
      expect((await rawRequest(url, { path: '/secrets/v1/seal-status/default', headers: { authorization: 'token=wrong' } })).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    recordLogText(stderr);
    expect(stderr.split('\n').filter((line) => line.includes(url))).toHaveLength(1);
    expect(stderr).toContain('"secret store stopped"');
  });

  it('refuses to start without --token-file or with a bad --listen (exit 64)', async () => {
    const dataDir = await makeDataDir('cli-usage-');
    const noToken = await cli(['store', 'serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0']);
    expect(noToken.code).toBe(64);
    expect(noToken.stderr).toContain('--token-file');
    const badListen = await cli(['store', 'serve', '--data-dir', dataDir, '--listen', 'nowhere', '--token-file', join(dataDir, 'x')]);
    expect(badListen.code).toBe(64);
    expect(badListen.stderr).toContain('Expected `--listen` to be HOST:PORT');
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

    expect(JSON.parse((await cli(['store', 'seal-status', '--data-dir', dataDir])).stdout)).toEqual({
      sealed: false, threshold: 1, shares: 1, progress: 0, initialized: true, sealIntent: false, autoUnseal: true,
    });
    const sealed = await cli(['store', 'seal', '--data-dir', dataDir]);
    expect(sealed.code, sealed.stderr).toBe(0);
    expect(JSON.parse(sealed.stdout)).toMatchObject({ sealed: true });
    expect((await cli(['store', 'seal', '--data-dir', dataDir])).code).toBe(65);
    expect(JSON.parse((await cli(['store', 'seal-status', '--data-dir', dataDir])).stdout)).toMatchObject({ sealed: true, sealIntent: true });

    const wrongKeyFile = join(dataDir, 'wrong.key');
    await writeFile(wrongKeyFile, `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    const wrong = await cli(['store', 'unseal', '--data-dir', dataDir, '--key-file', wrongKeyFile]);
    expect(wrong.code).toBe(65);
    expect(wrong.stderr).toContain('unseal key is wrong');
    expect(JSON.parse((await cli(['store', 'seal-status', '--data-dir', dataDir])).stdout)).toMatchObject({ sealed: true });

    const unsealKey = await decryptUnsealKey(dataDir, body.keys[0] ?? '', body.pgp_fingerprints[0] ?? '');
    const unsealed = await cli(['store', 'unseal', '--data-dir', dataDir], `${unsealKey}\n`);
    expect(unsealed.code, unsealed.stderr).toBe(0);
    expect(JSON.parse(unsealed.stdout)).toEqual({ sealed: false, threshold: 1, shares: 1, progress: 0 });
    expect(JSON.parse((await cli(['store', 'seal-status', '--data-dir', dataDir])).stdout)).toMatchObject({ sealed: false, sealIntent: false });
    // The plain unseal key is never printed or logged.
    expect(`${init.stdout}${init.stderr}${unsealed.stdout}${unsealed.stderr}`).not.toContain(unsealKey);
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
    expect(JSON.parse((await cli(['store', 'seal-status', '--data-dir', dataDir])).stdout)).toMatchObject({ sealed: true, sealIntent: false, autoUnseal: false });

    const bad = join(dataDir, 'bad.asc');
    await writeFile(bad, 'not a key');
    const refused = await cli(['store', 'init', '--data-dir', await makeDataDir('cli-bad-'), '--pgp-public-key', bad]);
    expect(refused.code).toBe(78);
    expect(refused.stderr).toContain(`--pgp-public-key ${bad}`);
  });
});
