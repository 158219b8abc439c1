// `secrets-agent login` / `auth login` / `logout` against the real store and IAM: the session
// file, later commands using it (with its base path), and what happens when its token expires.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceAccountCredential } from '../../../src/auth/credential.js';
import { canaryValue } from '../../helpers/canary.js';
import { startRealStore, type RealStore } from '../../client/support/real-store.js';
import { runBufferedCli, type CliRun } from './support/buffered-cli.js';
import { scratchDir, startCliStore, writeTokenFile } from './support/stores.js';

let store: RealStore;
let adminArgs: string[];
let passwordFile: string;
let credentialFile: string;
let credential: ServiceAccountCredential;

function expectOk(run: CliRun): void {
  expect(run.code, run.stderr).toBe(0);
}

function expectNoPassword(run: CliRun): void {
  expect(run.stdout).not.toContain(canaryValue);
  expect(run.stderr).not.toContain(canaryValue);
}

beforeAll(async () => {
  // 60 s tokens, expired by moving the IAM clock 100 s (the client's clock stays put: only the 401 tells it).
  store = await startRealStore({ tokenLifetimeSeconds: 60 });
  // The canary is the user's password: it must appear in no output, log or session file.
  await store.iam.createUser({ uid: 'operator', password: canaryValue });
  for (const rid of ['dcos:secrets:default:/pwx/*', 'dcos:secrets:list:default:/pwx'])
    await store.iam.grant({ uid: 'operator', rid, action: 'full' }, { createAcl: true });
  credential = await store.createServiceAccount('portworx', [
    'dcos:secrets:default:/pwx/*',
    'dcos:secrets:list:default:/pwx',
  ]);
  const dir = await scratchDir('cli-login-');
  passwordFile = join(dir, 'password');
  await writeFile(passwordFile, `${canaryValue}\n`, { mode: 0o600 });
  credentialFile = join(dir, 'credential.json');
  await writeFile(credentialFile, JSON.stringify(credential), { mode: 0o600 });
  adminArgs = [
    '--url',
    store.url,
    '--token-file',
    await writeTokenFile(store.url, store.superuser.uid, store.superuser.password),
  ];
});

afterEach(() => {
  store.resetClock();
});

afterAll(async () => {
  await store?.close();
});

describe('secrets-agent login', () => {
  it('logs in with --username/--password-file, saves a 0600 session without the password, and later commands use it under --base-path', async () => {
    const stateDir = join(await scratchDir('state-'), 'nested');
    const login = await runBufferedCli([
      'login',
      '--url',
      store.url,
      '--username',
      'operator',
      '--password-file',
      passwordFile,
      '--base-path',
      'pwx/secrets',
      '--state-dir',
      stateDir,
    ]);
    expectOk(login);
    expectNoPassword(login);
    expect(login.stdout).toContain(
      `Logged in to ${store.url} as operator; session saved in ${join(stateDir, 'session.json')}`,
    );
    expect(login.stdout).toContain('then run `secrets-agent login` again');

    const sessionFile = join(stateDir, 'session.json');
    expect((await stat(sessionFile)).mode & 0o777).toBe(0o600);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    const saved = await readFile(sessionFile, 'utf8');
    expect(saved).not.toContain(canaryValue);
    expect(JSON.parse(saved)).toMatchObject({ url: store.url, basePath: 'pwx/secrets', token: expect.any(String) });
    expect(JSON.parse(saved)).not.toHaveProperty('credential');

    // No URL, no credential: the session's; paths resolve under its base path.
    const session = ['--state-dir', stateDir];
    expectOk(await runBufferedCli(['secret', 'create', 'cluster-wide-secret-key', '--value', 'k1', ...session]));
    expect((await runBufferedCli(['secret', 'get', 'pwx/secrets/cluster-wide-secret-key', ...adminArgs])).stdout).toBe(
      'k1',
    );
    expect((await runBufferedCli(['secret', 'list', ...session])).stdout).toBe('cluster-wide-secret-key\n');
    // `--base-path /` reaches the store root again.
    expect(
      (await runBufferedCli(['secret', 'get', 'pwx/secrets/cluster-wide-secret-key', '--base-path', '/', ...session]))
        .stdout,
    ).toBe('k1');
    // The session's base path is for its URL only: the embedded store ignores it.
    const embedded = await startCliStore('embedded');
    expectOk(await runBufferedCli(['secret', 'create', 'local-key', '--value', 'v', ...embedded.args, ...session]));
    expect((await runBufferedCli(['secret', 'list', ...embedded.args, ...session])).stdout).toBe('local-key\n');
  });

  it("asks for a manual login (ERR_AUTH_LOGIN_REQUIRED, exit 77) once a password session's token expired", async () => {
    const stateDir = await scratchDir('state-');
    expectOk(
      await runBufferedCli([
        'login',
        '--url',
        store.url,
        '--username',
        'operator',
        '--password-file',
        passwordFile,
        '--state-dir',
        stateDir,
      ]),
    );
    expectOk(await runBufferedCli(['secret', 'create', 'pwx/expiring', '--value', 'v', '--state-dir', stateDir]));
    store.advanceClock(100_000);
    const expired = await runBufferedCli(['secret', 'get', 'pwx/expiring', '--state-dir', stateDir]);
    expect(expired.code).toBe(77);
    expect(expired.stderr).toContain('ERR_AUTH_LOGIN_REQUIRED');
    expect(expired.stderr).toContain('run `secrets-agent login`');
    expectNoPassword(expired);
    // Logging in again (same clock) fixes it.
    expectOk(
      await runBufferedCli([
        'login',
        '--url',
        store.url,
        '--username',
        'operator',
        '--password-file',
        passwordFile,
        '--state-dir',
        stateDir,
      ]),
    );
    expect((await runBufferedCli(['secret', 'get', 'pwx/expiring', '--state-dir', stateDir])).stdout).toBe('v');
  });

  it('`auth login --credential-file` keeps the credential, so an expired token is renewed without a manual login', async () => {
    const stateDir = await scratchDir('state-');
    const login = await runBufferedCli([
      'auth',
      'login',
      '--url',
      store.url,
      '--credential-file',
      credentialFile,
      '--state-dir',
      stateDir,
      '--json',
    ]);
    expectOk(login);
    const outcome = JSON.parse(login.stdout) as {
      uid: string;
      renewable: boolean;
      expiresAt: string;
      sessionFile: string;
    };
    expect(outcome).toMatchObject({
      url: store.url,
      uid: 'portworx',
      renewable: true,
      sessionFile: join(stateDir, 'session.json'),
    });
    expect(Date.parse(outcome.expiresAt)).toBeGreaterThan(Date.now());
    const saved = JSON.parse(await readFile(outcome.sessionFile, 'utf8')) as { credential?: ServiceAccountCredential };
    expect(saved.credential?.uid).toBe('portworx');

    expectOk(await runBufferedCli(['secret', 'create', 'pwx/renewed', '--value', 'r', '--state-dir', stateDir]));
    store.advanceClock(100_000);
    expect((await runBufferedCli(['secret', 'get', 'pwx/renewed', '--state-dir', stateDir])).stdout).toBe('r');
  });

  it('logs in Portworx style from DCOS_SECRETS_USERNAME / DCOS_SECRETS_PASSWORD and DCOS_CLUSTER_URL', async () => {
    const stateDir = await scratchDir('state-');
    const env = { DCOS_SECRETS_USERNAME: 'operator', DCOS_SECRETS_PASSWORD: canaryValue, DCOS_CLUSTER_URL: store.url };
    const login = await runBufferedCli(['login', '--state-dir', stateDir], { env });
    expectOk(login);
    expectNoPassword(login);
    expect(await readFile(join(stateDir, 'session.json'), 'utf8')).not.toContain(canaryValue);
  });

  it('fails clearly: wrong password (ERR_AUTH_LOGIN_FAILED, 77), no credential or no URL (ERR_USAGE, 64), nothing saved', async () => {
    const stateDir = await scratchDir('state-');
    const wrongFile = join(stateDir, 'wrong-password');
    await writeFile(wrongFile, 'not-the-password\n', { mode: 0o600 });
    const wrong = await runBufferedCli([
      'login',
      '--url',
      store.url,
      '--username',
      'operator',
      '--password-file',
      wrongFile,
      '--state-dir',
      stateDir,
    ]);
    expect(wrong.code).toBe(77);
    expect(wrong.stderr).toContain('ERR_AUTH_LOGIN_FAILED');
    expect(wrong.stderr).not.toContain('not-the-password');
    const none = await runBufferedCli(['login', '--url', store.url, '--state-dir', stateDir]);
    expect(none.code).toBe(64);
    expect(none.stderr).toContain('login needs a credential');
    const noUrl = await runBufferedCli([
      'login',
      '--username',
      'operator',
      '--password-file',
      passwordFile,
      '--state-dir',
      stateDir,
    ]);
    expect(noUrl.code).toBe(64);
    expect(noUrl.stderr).toContain('--url');
    const badBase = await runBufferedCli([
      'login',
      '--url',
      store.url,
      '--username',
      'operator',
      '--password-file',
      passwordFile,
      '--base-path',
      '../up',
      '--state-dir',
      stateDir,
    ]);
    expect(badBase.code).toBe(65);
    expect(badBase.stderr).toContain('ERR_SECRET_PATH_INVALID');
    await expect(stat(join(stateDir, 'session.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    // Without a session, a command with no credential says how to get one.
    const noSession = await runBufferedCli(['secret', 'list', '--url', store.url, '--state-dir', stateDir]);
    expect(noSession.code).toBe(77);
    expect(noSession.stderr).toContain('ERR_AUTH_LOGIN_REQUIRED');
  });

  it('`logout` and `auth logout` remove the session', async () => {
    const stateDir = await scratchDir('state-');
    expectOk(
      await runBufferedCli(['login', '--url', store.url, '--credential-file', credentialFile, '--state-dir', stateDir]),
    );
    const logout = await runBufferedCli(['logout', '--state-dir', stateDir]);
    expectOk(logout);
    expect(logout.stdout).toBe(`Logged out: removed ${join(stateDir, 'session.json')}\n`);
    await expect(stat(join(stateDir, 'session.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    const again = await runBufferedCli(['auth', 'logout', '--state-dir', stateDir, '--json']);
    expectOk(again);
    expect(JSON.parse(again.stdout)).toEqual({ sessionFile: join(stateDir, 'session.json'), removed: false });
    // A credential login without --url goes to the credential's own login endpoint (our store here).
    expectOk(await runBufferedCli(['auth', 'login', '--credential-file', credentialFile, '--state-dir', stateDir]));
    expect(JSON.parse(await readFile(join(stateDir, 'session.json'), 'utf8'))).toMatchObject({ url: store.url });
  });
});
