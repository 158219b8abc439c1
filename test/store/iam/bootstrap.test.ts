import { createPrivateKey, sign } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapIam, createServiceAccountCredential } from '../../../src/store/iam/bootstrap.js';
import { call, loginWithPassword } from './support/http.js';
import { startIamServer, type IamTestServer } from './support/iam-server.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

let server: IamTestServer;

beforeAll(async () => {
  server = await startIamServer();
});

afterAll(async () => {
  await server.close();
});

describe('bootstrapIam', () => {
  it('creates a superuser who can log in and administer the IAM', async () => {
    await bootstrapIam({ iam: server.iam, superuser: { uid: 'bootstrapuser', password: 'deleteme-please' } });
    const token = await loginWithPassword(server.url, 'bootstrapuser', 'deleteme-please');
    expect((await call(server.url, '/acs/api/v1/users', { token })).status).toBe(200);
    expect(server.iam.isAllowed('bootstrapuser', 'dcos:secrets:default:/any/thing', 'delete')).toBe(true);
    await expect(server.iam.access.authenticate({ authorization: `token=${token}` })).resolves.toEqual({
      uid: 'bootstrapuser',
      superuser: true,
    });
  });

  it('refuses to run twice for the same uid', async () => {
    await expect(
      bootstrapIam({ iam: server.iam, superuser: { uid: 'bootstrapuser', password: 'another-password' } }),
    ).rejects.toMatchObject({ code: 'ERR_IAM_ACCOUNT_EXISTS' });
  });
});

describe('createServiceAccountCredential', () => {
  it('returns the DC/OS credential JSON whose key logs in as the account', async () => {
    const loginEndpoint = `${server.url}/acs/api/v1/auth/login`;
    const credential = await createServiceAccountCredential({
      iam: server.iam,
      uid: 'marathon-app',
      loginEndpoint,
      description: 'app',
    });
    expect(Object.keys(credential).sort()).toEqual(['login_endpoint', 'private_key', 'scheme', 'uid']);
    expect(credential).toMatchObject({ login_endpoint: loginEndpoint, scheme: 'RS256', uid: 'marathon-app' });
    expect(credential.private_key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(server.iam.getAccount('marathon-app')).toMatchObject({ kind: 'service', description: 'app' });
    expect(createPrivateKey(credential.private_key).asymmetricKeyDetails?.modulusLength).toBe(2048);

    // Log in the way a task would, from the credential alone.
    const input = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ uid: credential.uid, exp: Math.floor(Date.now() / 1000) + 120 })}`;
    const loginToken = `${input}.${sign('sha256', Buffer.from(input), createPrivateKey(credential.private_key)).toString('base64url')}`;
    const login = await call(server.url, new URL(credential.login_endpoint).pathname, {
      method: 'POST',
      json: { uid: credential.uid, token: loginToken },
    });
    expect(login.status).toBe(200);
  });

  it('refuses a login endpoint that is not an http(s) URL, before creating anything', async () => {
    await expect(
      createServiceAccountCredential({ iam: server.iam, uid: 'nope', loginEndpoint: 'ftp://x/y' }),
    ).rejects.toMatchObject({ code: 'ERR_USAGE' });
    expect(server.iam.getAccount('nope')).toBeUndefined();
  });
});
