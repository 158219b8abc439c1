import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryValue } from '../../helpers/canary.js';
import { call, loginWithPassword } from './support/http.js';
import { startIamServer, type IamTestServer } from './support/iam-server.js';

// POST /acs/api/v1/auth/login over real HTTP. Service login tokens are built right here with
// node:crypto (header {alg, typ}, payload {uid, exp}, PKCS#1 v1.5 SHA-256), as DC/OS clients do.
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function serviceLoginToken(claims: Record<string, unknown>, privateKey: KeyObject): string {
  const input = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input, 'ascii'), privateKey).toString('base64url')}`;
}

let server: IamTestServer;
let adminToken: string;
let svcKey: KeyObject;
let strangerKey: KeyObject;
const loginFailed = { title: 'Unauthorized', description: 'Login failed', code: 'ERR_AUTH_LOGIN_FAILED' };

beforeAll(async () => {
  // Throttling has its own test; here many deliberate failures come from one peer.
  server = await startIamServer({ loginThrottle: { freeFailuresPerUid: 1000, freeFailuresPerPeer: 1000 } });
  await server.iam.createUser({ uid: 'admin', password: canaryValue });
  await server.iam.grant({ uid: 'admin', rid: 'dcos:superuser', action: 'full' }, { createAcl: true });
  adminToken = await loginWithPassword(server.url, 'admin', canaryValue);

  const svc = generateKeyPairSync('rsa', { modulusLength: 2048 });
  svcKey = svc.privateKey;
  strangerKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const publicKey = svc.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const created = await call(server.url, '/acs/api/v1/users/svc', {
    method: 'PUT',
    token: adminToken,
    json: { description: 'a service', public_key: publicKey },
  });
  expect(created.status).toBe(201);
  const acl = await call(server.url, '/acs/api/v1/acls/dcos:secrets:default:%252Fsvc%252F*', {
    method: 'PUT',
    token: adminToken,
    json: { description: 'svc secrets' },
  });
  expect(acl.status).toBe(201);
  expect(
    (
      await call(server.url, '/acs/api/v1/acls/dcos:secrets:default:%252Fsvc%252F*/users/svc/read', {
        method: 'PUT',
        token: adminToken,
      })
    ).status,
  ).toBe(204);
  await server.secrets.set('svc/db/password', canaryValue);
  await server.secrets.set('other/db/password', 'not yours');
});

afterAll(async () => {
  await server.close();
});

describe('service account login', () => {
  it('logs in with a JWT it signs itself and reads only what its grants allow', async () => {
    const loginToken = serviceLoginToken({ uid: 'svc', exp: nowSeconds() + 120 }, svcKey);
    const login = await call(server.url, '/acs/api/v1/auth/login', {
      method: 'POST',
      json: { uid: 'svc', token: loginToken },
    });
    expect(login.status).toBe(200);
    expect(Object.keys(login.body as object)).toEqual(['token']);
    const token = (login.body as { token: string }).token;
    expect(login.headers.get('set-cookie')).toMatch(
      new RegExp(`^dcos-acs-auth-cookie=${token.replaceAll('.', '\\.')}; Path=/; HttpOnly`),
    );
    expect(login.headers.get('cache-control')).toBe('no-store');

    const own = await call(server.url, '/secrets/v1/secret/default/svc/db/password', { token });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ value: canaryValue });
    expect((await call(server.url, '/secrets/v1/secret/default/other/db/password', { token })).status).toBe(403);
    expect(
      (await call(server.url, '/secrets/v1/secret/default/svc/db/password', { method: 'DELETE', token })).status,
    ).toBe(403);
    expect((await call(server.url, '/secrets/v1/secret/default/svc?list=true', { token })).status).toBe(403);
    expect((await call(server.url, '/acs/api/v1/users', { token })).status).toBe(403);
  });

  it('accepts `exp` up to 10 minutes ahead plus the 30 s skew', async () => {
    const token = serviceLoginToken({ uid: 'svc', exp: nowSeconds() + 600 + 20 }, svcKey);
    expect(
      (await call(server.url, '/acs/api/v1/auth/login', { method: 'POST', json: { uid: 'svc', token } })).status,
    ).toBe(200);
  });

  const refused: Array<[string, () => { uid: string; token?: string; password?: string }]> = [
    [
      'exp more than 10 minutes ahead',
      () => ({ uid: 'svc', token: serviceLoginToken({ uid: 'svc', exp: nowSeconds() + 20 * 60 }, svcKey) }),
    ],
    ['expired', () => ({ uid: 'svc', token: serviceLoginToken({ uid: 'svc', exp: nowSeconds() - 120 }, svcKey) })],
    [
      'exp as a string',
      () => ({ uid: 'svc', token: serviceLoginToken({ uid: 'svc', exp: String(nowSeconds() + 60) }, svcKey) }),
    ],
    ['no exp', () => ({ uid: 'svc', token: serviceLoginToken({ uid: 'svc' }, svcKey) })],
    [
      'signed by another key',
      () => ({ uid: 'svc', token: serviceLoginToken({ uid: 'svc', exp: nowSeconds() + 60 }, strangerKey) }),
    ],
    [
      'token uid differs from the body uid',
      () => ({ uid: 'svc', token: serviceLoginToken({ uid: 'admin', exp: nowSeconds() + 60 }, svcKey) }),
    ],
    [
      'alg none',
      () => ({ uid: 'svc', token: `${b64({ alg: 'none' })}.${b64({ uid: 'svc', exp: nowSeconds() + 60 })}.` }),
    ],
    [
      'a user account with a token',
      () => ({ uid: 'admin', token: serviceLoginToken({ uid: 'admin', exp: nowSeconds() + 60 }, svcKey) }),
    ],
    ['a service account with a password', () => ({ uid: 'svc', password: 'whatever-password' })],
    ['a wrong password', () => ({ uid: 'admin', password: 'wrong-password' })],
    ['an unknown uid with a password', () => ({ uid: 'ghost', password: 'whatever-password' })],
    [
      'an unknown uid with a token',
      () => ({ uid: 'ghost', token: serviceLoginToken({ uid: 'ghost', exp: nowSeconds() + 60 }, svcKey) }),
    ],
    ['a garbage token', () => ({ uid: 'svc', token: 'garbage' })],
  ];

  it.each(refused)('refuses %s with the same 401 "Login failed"', async (_name, build) => {
    const response = await call(server.url, '/acs/api/v1/auth/login', { method: 'POST', json: build() });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('acsjwt');
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.body).toEqual(loginFailed);
  });

  it('answers 400 to a body that is not a login object', async () => {
    for (const json of [
      {},
      { uid: 'svc' },
      { uid: 'svc', password: 'a', token: 'b' },
      { uid: 7, password: 'x' },
      ['svc'],
    ]) {
      const response = await call(server.url, '/acs/api/v1/auth/login', { method: 'POST', json });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'ERR_INPUT_INVALID' });
    }
  });

  it('a user logs in with uid and password; the token works as cookie too', async () => {
    const login = await call(server.url, '/acs/api/v1/auth/login', {
      method: 'POST',
      json: { uid: 'admin', password: canaryValue },
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect((await call(server.url, '/acs/api/v1/users', { headers: { cookie } })).status).toBe(200);
  });
});
