import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/http.js';
import { startIamServer, type IamTestServer } from './support/iam-server.js';

// Every kind of forged, expired or orphaned token is refused with 401 + WWW-Authenticate: acsjwt.
// Each token is built here with node:crypto. Where a case needs a valid signature (missing uid,
// expired, unknown account), the test signs with the store's own key, read from storage.
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

let server: IamTestServer;
let publishedKey: KeyObject;
let storeKey: KeyObject;
let kid: string;
let validToken: string;
let leaverToken: string;

// The account epoch our tokens carry (`acct`), read from the account record like the key.
async function epochOf(uid: string): Promise<string> {
  const record = await server.storage.get(`iam/accounts/${uid}`);
  return JSON.parse(Buffer.from(record?.value ?? []).toString()).epoch as string;
}

function rs256(claims: unknown, key: KeyObject, header: unknown = { alg: 'RS256', typ: 'JWT', kid }): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

function hs256(claims: unknown, secret: Buffer | string): string {
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

beforeAll(async () => {
  server = await startIamServer();
  const publicKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();
  for (const uid of ['reader', 'leaver']) {
    await server.iam.createServiceAccount({ uid, publicKeyPem });
    await server.iam.grant({ uid, rid: 'dcos:secrets:default:/app/*', action: 'read' }, { createAcl: true });
  }
  await server.secrets.set('app/db', 'value');
  validToken = await server.iam.issueToken('reader');
  leaverToken = await server.iam.issueToken('leaver');
  const jwks = await call(server.url, '/acs/api/v1/auth/jwks');
  const jwk = (jwks.body as { keys: Array<Record<string, string>> }).keys[0] ?? {};
  kid = jwk['kid'] ?? '';
  publishedKey = createPublicKey({ key: jwk, format: 'jwk' });
  const record = await server.storage.get('iam/signing-key');
  storeKey = createPrivateKey(JSON.parse(Buffer.from(record?.value ?? []).toString()).privateKeyPem as string);
});

afterAll(async () => {
  await server.close();
});

const read = (headers: Record<string, string>) => call(server.url, '/secrets/v1/secret/default/app/db', { headers });

describe('auth tokens', () => {
  it('positive controls: an issued token and one the test signs with the store key both read the secret', async () => {
    expect((await call(server.url, '/secrets/v1/secret/default/app/db', { token: validToken })).status).toBe(200);
    const handmade = rs256(
      { uid: 'reader', iat: nowSeconds(), exp: nowSeconds() + 600, acct: await epochOf('reader') },
      storeKey,
    );
    expect((await call(server.url, '/secrets/v1/secret/default/app/db', { token: handmade })).status).toBe(200);
  });

  it('accepts `Bearer <jwt>` and the dcos-acs-auth-cookie cookie too', async () => {
    expect((await read({ authorization: `Bearer ${validToken}` })).status).toBe(200);
    expect((await read({ cookie: `other=1; dcos-acs-auth-cookie=${validToken}` })).status).toBe(200);
  });

  it('publishes a JWKS whose key verifies issued tokens and names their kid', () => {
    const [header, claims, signature] = validToken.split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'RS256', typ: 'JWT', kid });
    const payload = JSON.parse(Buffer.from(claims, 'base64url').toString()) as {
      uid: string;
      iat: number;
      exp: number;
    };
    expect(payload.uid).toBe('reader');
    expect(payload.exp - payload.iat).toBe(5 * 24 * 3600);
    expect(
      verify('sha256', Buffer.from(`${header}.${claims}`), publishedKey, Buffer.from(signature, 'base64url')),
    ).toBe(true);
  });

  it('no token -> 401 ERR_AUTH_REQUIRED', async () => {
    const response = await read({});
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('acsjwt');
    expect(response.body).toMatchObject({ code: 'ERR_AUTH_REQUIRED' });
  });

  const future = (): number => nowSeconds() + 600;
  const cases: Array<[string, () => Promise<string> | string, 'ERR_AUTH_TOKEN_INVALID' | 'ERR_AUTH_TOKEN_EXPIRED']> = [
    [
      'alg none',
      () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ uid: 'reader', exp: future() })}.`,
      'ERR_AUTH_TOKEN_INVALID',
    ],
    [
      'HS256 keyed with our public key (PEM from the JWKS)',
      () => hs256({ uid: 'reader', exp: future() }, publishedKey.export({ type: 'spki', format: 'pem' })),
      'ERR_AUTH_TOKEN_INVALID',
    ],
    [
      'HS256 keyed with our public key (DER)',
      () => hs256({ uid: 'reader', exp: future() }, publishedKey.export({ type: 'spki', format: 'der' })),
      'ERR_AUTH_TOKEN_INVALID',
    ],
    [
      'bad signature (an issued token with another payload)',
      () => {
        const [header, , signature] = validToken.split('.');
        return `${header}.${b64({ uid: 'leaver', iat: nowSeconds(), exp: future() })}.${signature}`;
      },
      'ERR_AUTH_TOKEN_INVALID',
    ],
    [
      'signed by another key',
      () =>
        rs256(
          { uid: 'reader', iat: nowSeconds(), exp: future() },
          generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey,
        ),
      'ERR_AUTH_TOKEN_INVALID',
    ],
    [
      'missing uid (signed with the store key)',
      async () => rs256({ iat: nowSeconds(), exp: future(), acct: await epochOf('reader') }, storeKey),
      'ERR_AUTH_TOKEN_INVALID',
    ],
    [
      'unknown account (signed with the store key)',
      () => rs256({ uid: 'nobody', iat: nowSeconds(), exp: future() }, storeKey),
      'ERR_AUTH_TOKEN_INVALID',
    ],
    [
      'another account epoch (signed with the store key)',
      () => rs256({ uid: 'reader', iat: nowSeconds(), exp: future(), acct: 'AAAAAAAAAAAAAAAA' }, storeKey),
      'ERR_AUTH_TOKEN_INVALID',
    ],
    [
      'expired beyond the 30 s skew (signed with the store key)',
      async () =>
        rs256(
          { uid: 'reader', iat: nowSeconds() - 3600, exp: nowSeconds() - 31, acct: await epochOf('reader') },
          storeKey,
        ),
      'ERR_AUTH_TOKEN_EXPIRED',
    ],
    [
      'deleted account (a token issued before the delete)',
      async () => {
        await server.iam.deleteAccount('leaver');
        return leaverToken;
      },
      'ERR_AUTH_TOKEN_INVALID',
    ],
    ['garbage', () => 'garbage', 'ERR_AUTH_TOKEN_INVALID'],
    ['three garbage parts', () => 'a.b.c', 'ERR_AUTH_TOKEN_INVALID'],
  ];

  it.each(cases)('%s -> 401', async (_name, build, code) => {
    const token = await build();
    const response = await call(server.url, '/secrets/v1/secret/default/app/db', { token });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('acsjwt');
    expect(response.body).toMatchObject({ title: 'Unauthorized', code });
    expect(response.text).not.toContain(token.slice(-16));
  });

  it('a token issued before its uid was deleted and created again stays refused', async () => {
    const publicKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    const grant = { uid: 'phoenix', rid: 'dcos:secrets:default:/app/*', action: 'read' } as const;
    await server.iam.createServiceAccount({ uid: 'phoenix', publicKeyPem });
    await server.iam.grant(grant, { createAcl: true });
    const old = await server.iam.issueToken('phoenix');
    expect((await call(server.url, '/secrets/v1/secret/default/app/db', { token: old })).status).toBe(200);
    await server.iam.deleteAccount('phoenix');
    await server.iam.createServiceAccount({ uid: 'phoenix', publicKeyPem });
    await server.iam.grant(grant);
    expect((await call(server.url, '/secrets/v1/secret/default/app/db', { token: old })).status).toBe(401);
    expect(
      (await call(server.url, '/secrets/v1/secret/default/app/db', { token: await server.iam.issueToken('phoenix') }))
        .status,
    ).toBe(200);
  });
});
