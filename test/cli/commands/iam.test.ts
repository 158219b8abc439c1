import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryValue } from '../../helpers/canary.js';
import { call, loginWithPassword } from '../../store/iam/support/http.js';
import { startIamServer, type IamTestServer } from '../../store/iam/support/iam-server.js';
import { makeDataDir } from '../../store/support/temp-storage.js';
import { runBufferedCli as cli } from './support/buffered-cli.js';

// `secrets-agent iam ...` in-process against the real store server with the real IAM, as a superuser
// whose auth token sits in a file (each CLI call would otherwise pay a scrypt login).
let server: IamTestServer;
let dir: string;
let auth: string[];

beforeAll(async () => {
  server = await startIamServer();
  await server.iam.createUser({ uid: 'admin', password: canaryValue });
  await server.iam.grant({ uid: 'admin', rid: 'dcos:superuser', action: 'full' }, { createAcl: true });
  dir = await makeDataDir('cli-iam-');
  const tokenFile = join(dir, 'admin.token');
  await writeFile(tokenFile, await server.iam.issueToken('admin'), { mode: 0o600 });
  auth = ['--url', server.url, '--token-file', tokenFile, '--state-dir', dir];
});

afterAll(async () => {
  await server.close();
});

function serviceLoginToken(uid: string, privateKeyPem: string): string {
  const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ uid, exp: Math.floor(Date.now() / 1000) + 120 })}`;
  return `${input}.${sign('sha256', Buffer.from(input), createPrivateKey(privateKeyPem)).toString('base64url')}`;
}

async function serviceLogin(uid: string, privateKeyPem: string): Promise<number> {
  return (
    await call(server.url, '/acs/api/v1/auth/login', {
      method: 'POST',
      json: { uid, token: serviceLoginToken(uid, privateKeyPem) },
    })
  ).status;
}

describe('iam user', () => {
  it('create (password file and stdin), list as a table and JSON, delete; the password is never printed', async () => {
    const passwordFile = join(dir, 'alice.password');
    await writeFile(passwordFile, `${canaryValue}-alice\n`, { mode: 0o600 });
    const created = await cli([
      'iam',
      'user',
      'create',
      'alice',
      '--password-file',
      passwordFile,
      '--description',
      'Alice A.',
      ...auth,
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toBe('Created user `alice`.\n');
    const fromStdin = await cli(['iam', 'user', 'create', 'bob', '--password-file', '-', ...auth], {
      stdin: `${canaryValue}-bob\n`,
    });
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    await loginWithPassword(server.url, 'alice', `${canaryValue}-alice`);
    await loginWithPassword(server.url, 'bob', `${canaryValue}-bob`);

    const table = await cli(['iam', 'user', 'list', ...auth]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toBe('UID    DESCRIPTION\nadmin  \nalice  Alice A.\nbob    \n');
    const json = await cli(['iam', 'user', 'list', '--json', ...auth]);
    expect(JSON.parse(json.stdout)).toEqual([
      { uid: 'admin', description: '', is_service: false },
      { uid: 'alice', description: 'Alice A.', is_service: false },
      { uid: 'bob', description: '', is_service: false },
    ]);

    const duplicate = await cli(['iam', 'user', 'create', 'alice', '--password-file', passwordFile, ...auth]);
    expect(duplicate.code).toBe(65);
    expect(duplicate.stderr).toContain('ERR_IAM_ACCOUNT_EXISTS');

    const deleted = await cli(['iam', 'user', 'delete', 'bob', ...auth]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(server.iam.getAccount('bob')).toBeUndefined();
    expect((await cli(['iam', 'user', 'delete', 'bob', ...auth])).code).toBe(65);
    for (const run of [created, fromStdin, table, json, duplicate])
      expect(`${run.stdout}${run.stderr}`).not.toContain(canaryValue);
  });

  it('without a password file and without a terminal: usage error (64), nothing created', async () => {
    const run = await cli(['iam', 'user', 'create', 'nopw', ...auth]);
    expect(run.code).toBe(64);
    expect(run.stderr).toContain('the password for user `nopw` comes from --password-file FILE');
    expect(server.iam.getAccount('nopw')).toBeUndefined();
    const stray = await cli(['iam', 'user', 'create', 'nopw', 'extra', ...auth]);
    expect(stray.code).toBe(64);
  });
});

describe('iam service-account', () => {
  it('create --credential-out writes the DC/OS credential 0600; it logs in; list and delete', async () => {
    const file = join(dir, 'svc-a.json');
    const created = await cli([
      'iam',
      'service-account',
      'create',
      'svc-a',
      '--credential-out',
      file,
      '--description',
      'A service',
      ...auth,
    ]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain(`Created service account \`svc-a\`; its credential is in ${file} (mode 0600).`);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const credential = JSON.parse(await readFile(file, 'utf8')) as {
      login_endpoint: string;
      private_key: string;
      scheme: string;
      uid: string;
    };
    expect(Object.keys(credential)).toEqual(['login_endpoint', 'private_key', 'scheme', 'uid']);
    expect(credential).toMatchObject({
      login_endpoint: `${server.url}/acs/api/v1/auth/login`,
      scheme: 'RS256',
      uid: 'svc-a',
    });
    expect(created.stdout).not.toContain('PRIVATE KEY');
    expect(await serviceLogin('svc-a', credential.private_key)).toBe(200);

    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicKeyFile = join(dir, 'svc-b.pub.pem');
    await writeFile(publicKeyFile, keys.publicKey.export({ type: 'spki', format: 'pem' }));
    const own = await cli(['iam', 'service-account', 'create', 'svc-b', '--public-key', publicKeyFile, ...auth]);
    expect(own.code, own.stderr).toBe(0);
    expect(await serviceLogin('svc-b', keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toBe(200);

    const list = await cli(['iam', 'service-account', 'list', '--json', ...auth]);
    expect(JSON.parse(list.stdout)).toEqual(
      expect.arrayContaining([
        { uid: 'svc-a', description: 'A service', is_service: true },
        { uid: 'svc-b', description: '', is_service: true },
      ]),
    );
    expect((await cli(['iam', 'service-account', 'delete', 'svc-b', ...auth])).code).toBe(0);
    expect(await serviceLogin('svc-b', keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())).toBe(401);
  });

  it('refuses both or neither key source, an existing --credential-out, and a duplicate uid (the file is removed again)', async () => {
    const neither = await cli(['iam', 'service-account', 'create', 'svc-x', ...auth]);
    expect(neither.code).toBe(64);
    const existing = join(dir, 'existing.json');
    await writeFile(existing, 'keep me');
    const both = await cli([
      'iam',
      'service-account',
      'create',
      'svc-x',
      '--public-key',
      existing,
      '--credential-out',
      join(dir, 'x.json'),
      ...auth,
    ]);
    expect(both.code).toBe(64);
    const clobber = await cli(['iam', 'service-account', 'create', 'svc-x', '--credential-out', existing, ...auth]);
    expect(clobber.code).toBe(64);
    expect(clobber.stderr).toContain('already exists');
    expect(await readFile(existing, 'utf8')).toBe('keep me');
    expect(server.iam.getAccount('svc-x')).toBeUndefined();

    const file = join(dir, 'dup.json');
    const duplicate = await cli(['iam', 'service-account', 'create', 'admin', '--credential-out', file, ...auth]);
    expect(duplicate.code).toBe(65);
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('iam grant / revoke', () => {
  it('grant creates the ACL when missing (as the DC/OS CLI does); the grant works over HTTP; revoke removes it', async () => {
    await server.iam.createUser({ uid: 'carol', password: 'carol-password' });
    await server.secrets.set('team/db', canaryValue);
    const token = await server.iam.issueToken('carol');
    const read = async (): Promise<number> =>
      (await call(server.url, '/secrets/v1/secret/default/team/db', { token })).status;
    expect(await read()).toBe(403);
    expect(server.iam.getAcl('dcos:secrets:default:/team/*')).toBeUndefined();

    const granted = await cli(['iam', 'grant', 'carol', 'dcos:secrets:default:/team/*', 'read', ...auth]);
    expect(granted.code, granted.stderr).toBe(0);
    expect(granted.stdout).toBe('Granted `read` on `dcos:secrets:default:/team/*` to `carol`.\n');
    expect(server.iam.getAcl('dcos:secrets:default:/team/*')).toBeDefined();
    expect(await read()).toBe(200);
    // Granting again on the now existing ACL is fine.
    expect((await cli(['iam', 'grant', 'carol', 'dcos:secrets:default:/team/*', 'read', ...auth])).code).toBe(0);

    const revoked = await cli(['iam', 'revoke', 'carol', 'dcos:secrets:default:/team/*', 'read', ...auth]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(await read()).toBe(403);
    const again = await cli(['iam', 'revoke', 'carol', 'dcos:secrets:default:/team/*', 'read', ...auth]);
    expect(again.code).toBe(65);
    expect(again.stderr).toContain('ERR_IAM_ACL_NOT_FOUND');
  });

  it('refuses an unknown action (64) and an unknown account (65)', async () => {
    const badAction = await cli(['iam', 'grant', 'carol', 'dcos:secrets:default:/x', 'write', ...auth]);
    expect(badAction.code).toBe(64);
    // yargs checks the choices before the handler runs.
    expect(badAction.stderr).toContain(
      'Argument: action, Given: "write", Choices: "create", "read", "update", "delete", "full"',
    );
    const ghost = await cli(['iam', 'grant', 'ghost', 'dcos:secrets:default:/x', 'read', ...auth]);
    expect(ghost.code).toBe(65);
    expect(ghost.stderr).toContain('ERR_IAM_ACCOUNT_NOT_FOUND');
  });
});

describe('iam create-sa-secret', () => {
  it('stores the credential JSON of the service account as a text secret; the stored credential logs in', async () => {
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await server.iam.createServiceAccount({
      uid: 'jenkins',
      publicKeyPem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    const keyFile = join(dir, 'jenkins.pem');
    // PKCS#1, as `dcos security org service-accounts keypair` writes it.
    await writeFile(keyFile, keys.privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
    const run = await cli(['iam', 'create-sa-secret', keyFile, 'jenkins', 'jenkins/credential', ...auth]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('Stored the credential of service account `jenkins` as secret `jenkins/credential`.\n');
    expect(run.stdout).not.toContain('PRIVATE KEY');

    const value = JSON.parse((await server.secrets.get('jenkins/credential')) ?? '{}') as Record<string, string>;
    expect(Object.keys(value)).toEqual(['login_endpoint', 'private_key', 'scheme', 'uid']);
    expect(value).toMatchObject({
      login_endpoint: `${server.url}/acs/api/v1/auth/login`,
      scheme: 'RS256',
      uid: 'jenkins',
    });
    expect(await serviceLogin('jenkins', value['private_key'] ?? '')).toBe(200);
    const stored = await call(server.url, '/secrets/v1/secret/default/jenkins/credential', {
      token: await server.iam.issueToken('admin'),
      headers: { accept: '*/*' },
    });
    expect(stored.headers.get('content-type')).toBe('application/json');

    const withEndpoint = await cli([
      'iam',
      'create-sa-secret',
      keyFile,
      'jenkins',
      'jenkins/credential2',
      '--login-endpoint',
      'https://leader.mesos/acs/api/v1/auth/login',
      ...auth,
    ]);
    expect(withEndpoint.code, withEndpoint.stderr).toBe(0);
    expect(JSON.parse((await server.secrets.get('jenkins/credential2')) ?? '{}')).toMatchObject({
      login_endpoint: 'https://leader.mesos/acs/api/v1/auth/login',
    });
  });

  it("refuses a key that is not the account's, an account that is not a service account, and an existing path", async () => {
    const other = join(dir, 'other.pem');
    await writeFile(
      other,
      generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
      { mode: 0o600 },
    );
    const wrongKey = await cli(['iam', 'create-sa-secret', other, 'jenkins', 'jenkins/wrong', ...auth]);
    expect(wrongKey.code).toBe(65);
    expect(wrongKey.stderr).toContain('is not the private key of service account `jenkins`');
    expect(await server.secrets.get('jenkins/wrong')).toBeUndefined();
    const user = await cli(['iam', 'create-sa-secret', other, 'admin', 'jenkins/wrong', ...auth]);
    expect(user.code).toBe(65);
    expect(user.stderr).toContain('`admin` is not a service account');
    const notPem = join(dir, 'not.pem');
    await writeFile(notPem, 'hello');
    const bad = await cli(['iam', 'create-sa-secret', notPem, 'jenkins', 'jenkins/wrong', ...auth]);
    expect(bad.code).toBe(78);
    expect(bad.stderr).toContain('/private_key is not a PEM private key');
    const exists = await cli([
      'iam',
      'create-sa-secret',
      join(dir, 'jenkins.pem'),
      'jenkins',
      'jenkins/credential',
      ...auth,
    ]);
    expect(exists.code).toBe(65);
    expect(exists.stderr).toContain('already exists');
  });
});

describe('iam access', () => {
  it('a caller without dcos:superuser gets 77 naming the permission; no --url is a usage error', async () => {
    await server.iam.createUser({ uid: 'dave', password: 'dave-password' });
    const tokenFile = join(dir, 'dave.token');
    await writeFile(tokenFile, await server.iam.issueToken('dave'), { mode: 0o600 });
    const denied = await cli(['iam', 'user', 'list', '--url', server.url, '--token-file', tokenFile]);
    expect(denied.code).toBe(77);
    expect(denied.stderr).toContain('`dcos:superuser` `full`');
    const noUrl = await cli(['iam', 'user', 'list', '--token-file', tokenFile, '--state-dir', dir]);
    expect(noUrl.code).toBe(64);
    expect(noUrl.stderr).toContain('pass --url');
  });
});
