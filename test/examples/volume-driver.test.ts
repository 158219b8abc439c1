// examples/volume-driver/driver.mjs run as a child process, importing the built package by name
// (`secrets-agent`), against the real store: an IAM user logs in with DCOS_SECRETS_USERNAME /
// DCOS_SECRETS_PASSWORD, as Portworx does, after an operator created the cluster-wide key with
// `secrets-agent secret create --value ... pwx/secrets/cluster-wide-secret-key`.
import { spawn } from 'node:child_process';
import { createHash, hkdfSync } from 'node:crypto';
import { copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryValue } from '../helpers/canary.js';
import { recordLogText } from '../helpers/log-capture.js';
import { startRealStore, type RealStore } from '../client/support/real-store.js';
import { runBufferedCli } from '../cli/commands/support/buffered-cli.js';
import { writeTokenFile } from '../cli/commands/support/stores.js';
import { buildPackage, repoRoot, type BuiltPackage } from '../index/support/build-package.js';

let built: BuiltPackage;
let store: RealStore;
let driver: { uid: string; password: string };
let driverFile: string;

interface DriverRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runDriver(args: readonly string[], env: Record<string, string> = {}): Promise<DriverRun> {
  const child = spawn(process.execPath, [driverFile, ...args], {
    cwd: built.consumerDir,
    env: {
      PATH: process.env['PATH'] ?? '',
      DCOS_CLUSTER_URL: store.url,
      DCOS_SECRETS_USERNAME: driver.uid,
      DCOS_SECRETS_PASSWORD: driver.password,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      recordLogText(stderr);
      expect(stdout).not.toContain(canaryValue);
      expect(stderr).not.toContain(canaryValue);
      resolve({ code, stdout, stderr });
    });
  });
}

// The derivation the example documents, computed independently.
function expectedVolumeKey(volumeId: string): Buffer {
  return Buffer.from(
    hkdfSync('sha256', Buffer.from(canaryValue), 'secrets-agent example volume driver v1', `volume:${volumeId}`, 32),
  );
}

beforeAll(async () => {
  [built, store] = await Promise.all([buildPackage(), startRealStore()]);
  driverFile = join(built.consumerDir, 'driver.mjs');
  await copyFile(join(repoRoot, 'examples/volume-driver/driver.mjs'), driverFile);
  driver = await store.createUser('portworx', [
    'dcos:secrets:default:/pwx/secrets/*',
    'dcos:secrets:list:default:/pwx/secrets',
  ]);
  // The operator step, through the CLI, as the same IAM user.
  const passwordFile = join(built.consumerDir, 'password');
  await writeFile(passwordFile, `${driver.password}\n`, { mode: 0o600 });
  const created = await runBufferedCli([
    'secret',
    'create',
    '--value',
    canaryValue,
    'pwx/secrets/cluster-wide-secret-key',
    '--url',
    store.url,
    '--username',
    driver.uid,
    '--password-file',
    passwordFile,
  ]);
  expect(created.code, created.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  await store?.close();
});

describe('examples/volume-driver', () => {
  it('derives per-volume keys from the cluster-wide key and creates, checks and deletes volume secrets', async () => {
    const key = expectedVolumeKey('vol1');
    const fingerprint = createHash('sha256').update(key).digest('hex').slice(0, 16);

    const created = await runDriver(['create', 'vol1']);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toEqual({ volumeId: 'vol1', action: 'created', fingerprint });

    // The stored record is a JSON map inside `value`, under the base path.
    const tokenFile = await writeTokenFile(store.url, store.superuser.uid, store.superuser.password);
    const stored = await runBufferedCli([
      'secret',
      'get',
      'pwx/secrets/volumes/vol1',
      '--url',
      store.url,
      '--token-file',
      tokenFile,
    ]);
    expect(stored.code, stored.stderr).toBe(0);
    expect(JSON.parse(stored.stdout)).toEqual({
      volumeId: 'vol1',
      kdf: 'HKDF-SHA256',
      clusterKey: 'pwx/secrets/cluster-wide-secret-key',
      passphrase: key.toString('base64'),
    });

    // Create-or-update: a second create updates.
    expect(JSON.parse((await runDriver(['create', 'vol1'])).stdout)).toMatchObject({ action: 'updated', fingerprint });
    const other = await runDriver(['create', 'vol2']);
    expect(JSON.parse(other.stdout).fingerprint).not.toBe(fingerprint);

    const checked = await runDriver(['check', 'vol1']);
    expect(JSON.parse(checked.stdout)).toEqual({
      volumeId: 'vol1',
      matches: true,
      fingerprint,
      fields: ['clusterKey', 'kdf', 'passphrase', 'volumeId'],
    });

    expect(JSON.parse((await runDriver(['delete', 'vol1'])).stdout)).toEqual({ volumeId: 'vol1', action: 'deleted' });
    const gone = await runDriver(['check', 'vol1']);
    expect(gone.code).toBe(66);
    expect(gone.stderr).toContain('ERR_SECRET_NOT_FOUND');
  });

  it("exits with the library's exit codes: bad login 77, no credentials 64", async () => {
    const refused = await runDriver(['create', 'vol3'], { DCOS_SECRETS_PASSWORD: 'wrong' });
    expect(refused.code).toBe(77);
    expect(refused.stderr).toContain('ERR_AUTH_LOGIN_FAILED');
    const usage = await runDriver(['create', 'vol3'], { DCOS_SECRETS_USERNAME: '', DCOS_SECRETS_PASSWORD: '' });
    expect(usage.code).toBe(64);
    expect((await runDriver(['frobnicate', 'vol3'])).code).toBe(64);
  });
});
