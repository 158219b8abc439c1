// The IAM client: exact URLs as DC/OS expects them (stand-in for a *real DC/OS cluster*), and every
// call against the real store's IAM.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIamClient, encodeRid, type IamClient } from '../../src/client/iam-client.js';
import { createSecretsClient } from '../../src/client/secrets-client.js';
import { createTokenProvider } from '../../src/auth/token-provider.js';
import { createServiceLoginToken } from '../../src/auth/service-login-token.js';
import { parsePrivateKey } from '../../src/auth/credential.js';
import { sendJson, startDcosStandIn, type DcosStandIn } from './support/dcos-stand-in.js';
import { startRealStore, type RealStore } from './support/real-store.js';

describe('encodeRid', () => {
  it('writes `/` as `%252F` and keeps colons, as the DC/OS docs do', () => {
    expect(encodeRid('dcos:secrets:default:/team/db/*')).toBe('dcos:secrets:default:%252Fteam%252Fdb%252F*');
    expect(encodeRid('dcos:superuser')).toBe('dcos:superuser');
    expect(encodeRid('dcos:secrets:list:default:/')).toBe('dcos:secrets:list:default:%252F');
    expect(() => encodeRid('')).toThrow(/rid/);
  });
});

describe('request shapes (stand-in for a real DC/OS cluster)', () => {
  let standIn: DcosStandIn;
  let iam: IamClient;

  beforeAll(async () => {
    standIn = await startDcosStandIn((request, res) => {
      if (request.rawUrl.endsWith('/auth/login')) return sendJson(res, 200, { token: 'auth-token' });
      if (request.method === 'GET' && request.rawUrl.includes('/users/')) return sendJson(res, 200, { allowed: true });
      if (request.method === 'GET')
        return sendJson(res, 200, { array: [{ uid: 'svc', description: 'd', is_service: true }, { uid: 'bare' }] });
      res.writeHead(request.method === 'PUT' && !request.rawUrl.includes('/users/svc/') ? 201 : 204);
      res.end();
    });
    iam = createIamClient({
      url: standIn.url,
      tokenProvider: { getToken: async () => 'admin-token', invalidate: () => {} },
    });
  });

  afterAll(async () => {
    await iam?.close();
    await standIn?.close();
  });

  it('logs in with POST {uid, password} and no Authorization header', async () => {
    expect(await iam.login({ uid: 'alice', password: 'pw' })).toBe('auth-token');
    const request = standIn.requests.at(-1);
    expect(request).toMatchObject({ method: 'POST', rawUrl: '/acs/api/v1/auth/login' });
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body.toString() ?? '')).toEqual({ uid: 'alice', password: 'pw' });
  });

  it('sends admin calls to the IAM paths with the token', async () => {
    const rid = 'dcos:secrets:default:/team/*';
    await iam.createUser({ uid: 'bob', password: 'pw', description: 'Bob' });
    await iam.createServiceAccount({ uid: 'svc', publicKeyPem: 'PEM', description: 'svc' });
    await iam.createAcl(rid, 'team secrets');
    await iam.grant({ uid: 'svc', rid, action: 'read' });
    expect(await iam.checkGrant({ uid: 'svc', rid, action: 'read' })).toBe(true);
    await iam.revoke({ uid: 'svc', rid, action: 'read' });
    expect(await iam.listAccounts('service')).toEqual([
      { uid: 'svc', description: 'd', isService: true },
      { uid: 'bare', description: '', isService: false },
    ]);
    await iam.deleteAccount('bob');
    const sent = standIn.requests.slice(-8).map((request) => `${request.method} ${request.rawUrl}`);
    expect(sent).toEqual([
      'PUT /acs/api/v1/users/bob',
      'PUT /acs/api/v1/users/svc',
      'PUT /acs/api/v1/acls/dcos:secrets:default:%252Fteam%252F*',
      'PUT /acs/api/v1/acls/dcos:secrets:default:%252Fteam%252F*/users/svc/read',
      'GET /acs/api/v1/acls/dcos:secrets:default:%252Fteam%252F*/users/svc/read',
      'DELETE /acs/api/v1/acls/dcos:secrets:default:%252Fteam%252F*/users/svc/read',
      'GET /acs/api/v1/users?type=service',
      'DELETE /acs/api/v1/users/bob',
    ]);
    expect(standIn.requests.slice(-8).every((request) => request.headers.authorization === 'token=admin-token')).toBe(
      true,
    );
    expect(JSON.parse(standIn.requests.at(-8)?.body.toString() ?? '')).toEqual({ password: 'pw', description: 'Bob' });
    expect(JSON.parse(standIn.requests.at(-7)?.body.toString() ?? '')).toEqual({
      public_key: 'PEM',
      description: 'svc',
    });
  });

  it('refuses an unknown action before sending', async () => {
    const before = standIn.requests.length;
    await expect(iam.grant({ uid: 'svc', rid: 'dcos:superuser', action: 'own' as 'full' })).rejects.toMatchObject({
      code: 'ERR_USAGE',
    });
    expect(standIn.requests.length).toBe(before);
  });
});

describe('against the real IAM', () => {
  let store: RealStore;
  let admin: IamClient;
  let anonymous: IamClient;

  beforeAll(async () => {
    store = await startRealStore();
    anonymous = createIamClient({ url: store.url });
    admin = createIamClient({
      url: store.url,
      tokenProvider: createTokenProvider({
        method: { kind: 'password', uid: store.superuser.uid, password: store.superuser.password, source: 'test' },
        login: (request, endpoint) => anonymous.login(request, endpoint),
        loginEndpoint: `${store.url}/acs/api/v1/auth/login`,
      }),
    });
  });

  afterAll(async () => {
    await admin?.close();
    await anonymous?.close();
    await store?.close();
  });

  it('creates a user, grants and checks a permission that then opens a secret, revokes it, deletes the user', async () => {
    const rid = 'dcos:secrets:default:/ops/*';
    await admin.createUser({ uid: 'operator', password: 'operator-password', description: 'ops' });
    await expect(admin.createUser({ uid: 'operator', password: 'other-password' })).rejects.toMatchObject({
      code: 'ERR_IAM_ACCOUNT_EXISTS',
    });
    expect((await admin.listAccounts('user')).map((account) => account.uid)).toEqual(
      expect.arrayContaining(['admin', 'operator']),
    );
    await admin.createAcl(rid, 'ops secrets');
    await expect(admin.createAcl(rid)).rejects.toMatchObject({ code: 'ERR_IAM_ACL_EXISTS' });
    expect(await admin.checkGrant({ uid: 'operator', rid, action: 'full' })).toBe(false);
    await admin.grant({ uid: 'operator', rid, action: 'full' });
    expect(await admin.checkGrant({ uid: 'operator', rid, action: 'read' })).toBe(true);

    const operator = createSecretsClient({ url: store.url, username: 'operator', password: 'operator-password' });
    try {
      await operator.putSecret('ops/key', 'v');
      expect(await operator.getSecret('ops/key')).toBe('v');
      await admin.revoke({ uid: 'operator', rid, action: 'full' });
      await expect(operator.getSecret('ops/key')).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
      await expect(admin.revoke({ uid: 'operator', rid, action: 'full' })).rejects.toMatchObject({
        code: 'ERR_IAM_ACL_NOT_FOUND',
      });
      await admin.deleteAccount('operator');
      // The account's tokens die with it; the client's re-login then fails too.
      await expect(operator.getSecret('ops/key')).rejects.toMatchObject({ code: 'ERR_AUTH_LOGIN_FAILED' });
    } finally {
      await operator.close();
    }
    await expect(admin.deleteAccount('operator')).rejects.toMatchObject({ code: 'ERR_IAM_ACCOUNT_NOT_FOUND' });
  });

  it('registers a service account that logs in with a service login token', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await admin.createServiceAccount({
      uid: 'svc-login',
      publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    });
    expect((await admin.listAccounts('service')).find((account) => account.uid === 'svc-login')).toEqual({
      uid: 'svc-login',
      description: '',
      isService: true,
    });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const token = await anonymous.login({
      uid: 'svc-login',
      token: createServiceLoginToken({ uid: 'svc-login', privateKey: parsePrivateKey(pem, 'test') }),
    });
    expect(token.split('.')).toHaveLength(3);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    await expect(
      anonymous.login({ uid: 'svc-login', token: createServiceLoginToken({ uid: 'svc-login', privateKey: other }) }),
    ).rejects.toMatchObject({ code: 'ERR_AUTH_LOGIN_FAILED' });
  });

  it('logs in at an explicit login endpoint URL', async () => {
    const token = await anonymous.login(
      { uid: store.superuser.uid, password: store.superuser.password },
      `${store.url}/acs/api/v1/auth/login`,
    );
    expect(token.split('.')).toHaveLength(3);
  });

  it('admin calls without credentials fail with ERR_USAGE before sending', async () => {
    await expect(anonymous.listAccounts()).rejects.toMatchObject({ code: 'ERR_USAGE' });
  });
});
