// The library client against the real Secret Store server (real IAM, real file storage, HTTP on 127.0.0.1:0).
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSecretsClient, type SecretsClient, type SecretsClientOptions } from '../../src/client/secrets-client.js';
import { createSecretsHttpApi } from '../../src/client/secrets-http-api.js';
import { resolveAuthMethod } from '../../src/auth/auth-method.js';
import { loadSession, saveSession } from '../../src/auth/session.js';
import { createTokenProvider } from '../../src/auth/token-provider.js';
import { createIamClient } from '../../src/client/iam-client.js';
import type { ServiceAccountCredential } from '../../src/auth/credential.js';
import { canaryValue } from '../helpers/canary.js';
import { createTestLogger } from '../helpers/log-capture.js';
import { sendDcosError, sendJson, startDcosStandIn } from './support/dcos-stand-in.js';
import { startRealStore, type RealStore } from './support/real-store.js';
import { createTlsFiles } from './support/tls-files.js';
import { captureRejection, expectRejection } from '../helpers/rejection.js';

const binaryBytes = Uint8Array.from([0x76, 0x61, 0x6c, 0x75, 0x65, 0x85, 0xff, 0x33]);

let store: RealStore;
let credential: ServiceAccountCredential;
const clients: SecretsClient[] = [];

function open(options: Partial<SecretsClientOptions>): SecretsClient {
  const client = createSecretsClient({ url: store.url, log: createTestLogger(), ...options });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  // 60 s tokens: long enough for the suite, short enough to expire by moving the IAM clock 100 s.
  store = await startRealStore({ tokenLifetimeSeconds: 60 });
  credential = await store.createServiceAccount('portworx', [
    'dcos:secrets:default:/pwx/*',
    'dcos:secrets:list:default:/pwx',
  ]);
});

afterAll(async () => {
  for (const client of clients) await client.close();
  await store?.close();
});

describe('createSecretsClient with a service-account credential', () => {
  it('creates, reads, updates, lists and deletes a text secret', async () => {
    const client = open({ credential });
    await client.createSecret('pwx/db/password', canaryValue, { description: 'db password', labels: ['db'] });
    expect(await client.getSecret('pwx/db/password')).toBe(canaryValue);
    expect(Buffer.from(await client.getSecretBytes('pwx/db/password')).toString('utf8')).toBe(canaryValue);
    const record = await client.getSecretRecord('pwx/db/password');
    expect(record).toMatchObject({
      path: 'pwx/db/password',
      type: 'text',
      author: 'portworx',
      description: 'db password',
      labels: ['db'],
    });
    await client.updateSecret('pwx/db/password', 'second');
    expect(await client.getSecret('pwx/db/password')).toBe('second');
    await client.createSecret('pwx/db/user', 'app');
    expect(await client.listSecrets('pwx')).toEqual(['db/password', 'db/user']);
    expect(await client.listSecrets('pwx/db/')).toEqual(['password', 'user']);
    await client.deleteSecret('pwx/db/user');
    expect(await client.listSecrets('pwx/db')).toEqual(['password']);
    expect(await client.sealStatus()).toEqual({ sealed: false, threshold: 1, shares: 1, progress: 0 });
  });

  it('stores and returns binary bytes exactly (76 61 6c 75 65 85 ff 33)', async () => {
    const client = open({ credential });
    await client.createSecret('pwx/blob', binaryBytes);
    const bytes = await client.getSecretBytes('pwx/blob');
    expect(Buffer.from(bytes).toString('hex')).toBe('76616c756585ff33');
    expect((await client.getSecretRecord('pwx/blob')).type).toBe('binary');
    // Not UTF-8 (0x85, 0xff): getSecret refuses rather than mangling.
    await expectRejection(client.getSecret('pwx/blob'), 'ERR_ACCEPT_UNSUPPORTED');
    await client.updateSecret('pwx/blob', Uint8Array.from([0, 1, 2, 255]));
    expect(Buffer.from(await client.getSecretBytes('pwx/blob')).toString('hex')).toBe('000102ff');
  });

  it('runs the Portworx create-or-update flow with map-valued secrets', async () => {
    const client = open({ credential });
    expect(await client.putSecret('pwx/cluster-key', { foo: 'bar', count: 10 })).toBe('created');
    expect(await client.getSecret('pwx/cluster-key')).toBe('{"foo":"bar","count":10}');
    expect(await client.getSecretMap('pwx/cluster-key')).toEqual({ foo: 'bar', count: 10 });
    expect(await client.putSecret('pwx/cluster-key', { foo: 'baz' })).toBe('updated');
    expect(await client.getSecretMap('pwx/cluster-key')).toEqual({ foo: 'baz' });
    // Not a JSON object: the raw value under the path, as libopenstorage's GetSecret does.
    await client.putSecret('pwx/plain', 'just text');
    expect(await client.getSecretMap('pwx/plain')).toEqual({ 'pwx/plain': 'just text' });
    await client.putSecret('pwx/array', '[1,2]');
    expect(await client.getSecretMap('pwx/array')).toEqual({ 'pwx/array': '[1,2]' });
  });

  it('reports errors by code, with the server message and never the value', async () => {
    const client = open({ credential });
    await client.putSecret('pwx/exists', canaryValue);
    const missing = client.getSecret('pwx/does-not-exist');
    await expect(missing).rejects.toMatchObject({
      code: 'ERR_SECRET_NOT_FOUND',
      message: expect.stringContaining('does not exist'),
    });
    const exists = client.createSecret('pwx/exists', canaryValue);
    await expect(exists).rejects.toMatchObject({
      code: 'ERR_SECRET_EXISTS',
      message: expect.stringContaining('already exists'),
    });
    await exists.catch((error: Error) => expect(error.message).not.toContain(canaryValue));
    await expectRejection(client.updateSecret('pwx/not-there', 'x'), 'ERR_SECRET_NOT_FOUND');
    await expectRejection(client.deleteSecret('pwx/not-there'), 'ERR_SECRET_NOT_FOUND');
    const forbidden = client.getSecret('other/secret');
    await expect(forbidden).rejects.toMatchObject({
      code: 'ERR_FORBIDDEN',
      message: expect.stringContaining('dcos:secrets:default:/other/secret'),
    });
    await expectRejection(client.createSecret('pwx/too-large', 'x'.repeat(1_047_553)), 'ERR_SECRET_TOO_LARGE');
    await expectRejection(client.getSecret('pwx/bad name'), 'ERR_SECRET_PATH_INVALID');
    await expectRejection(client.getSecret('/pwx/abs'), 'ERR_SECRET_PATH_INVALID');
    await expectRejection(client.getSecret('pwx/../other'), 'ERR_SECRET_PATH_INVALID');
    expect(await client.listSecrets('pwx/not/a/folder')).toEqual([]);
  });

  it('sees ERR_STORE_SEALED while the store is sealed, and works again after auto-unseal', async () => {
    const client = open({ credential });
    await client.putSecret('pwx/seal-check', 'v');
    const iam = createIamClient({ url: store.url });
    const admin = createSecretsHttpApi({
      url: store.url,
      tokenProvider: createTokenProvider({
        method: { kind: 'password', uid: store.superuser.uid, password: store.superuser.password, source: 'test' },
        login: (request, endpoint) => iam.login(request, endpoint),
        loginEndpoint: `${store.url}/acs/api/v1/auth/login`,
      }),
    });
    try {
      expect((await admin.seal()).sealed).toBe(true);
      await expectRejection(client.getSecret('pwx/seal-check'), 'ERR_STORE_SEALED');
      expect((await client.sealStatus()).sealed).toBe(true);
      expect((await admin.autoUnseal()).sealed).toBe(false);
      expect(await client.getSecret('pwx/seal-check')).toBe('v');
    } finally {
      await admin.close();
      await iam.close();
    }
  });
});

describe('createSecretsClient with other credentials', () => {
  it('logs in with username and password (Portworx style)', async () => {
    const user = await store.createUser('px-user', ['dcos:secrets:default:/user-space/*']);
    const client = open({ username: user.uid, password: user.password });
    await client.putSecret('user-space/a', 'A');
    expect(await client.getSecret('user-space/a')).toBe('A');
    const wrong = open({ username: user.uid, password: 'wrong-password' });
    await expectRejection(wrong.getSecret('user-space/a'), 'ERR_AUTH_LOGIN_FAILED');
  });

  it('confines every path under basePath', async () => {
    const client = open({ credential, basePath: 'pwx/confined' });
    await client.putSecret('key', 'inside');
    const admin = open({ username: store.superuser.uid, password: store.superuser.password });
    expect(await admin.getSecret('pwx/confined/key')).toBe('inside');
    expect(await client.listSecrets()).toEqual(['key']);
    for (const escape of ['../escape', '/pwx/other', 'a/../../b', '..%2Fescape', '%2e%2e/x', 'a//b', 'a\\..\\b', '']) {
      expect((await captureRejection(client.getSecret(escape))).code, escape).toBe('ERR_SECRET_PATH_INVALID');
    }
  });

  it('fails at creation on a malformed credential, naming the field and not the key', () => {
    expect(() =>
      createSecretsClient({ url: store.url, credential: { ...credential, scheme: 'HS256' as 'RS256' } }),
    ).toThrow(/\/scheme must be "RS256"/);
    let message = '';
    try {
      createSecretsClient({
        url: store.url,
        credential: { ...credential, private_key: credential.private_key.replace(/[A-Za-z]/g, 'A') },
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('/private_key');
    expect(message).not.toContain('AAAA');
    expect(() => createSecretsClient({ url: store.url })).toThrow(/No credentials/);
  });

  it('takes a credential resolved by resolveAuthMethod (the CLI path)', async () => {
    const method = resolveAuthMethod({ env: { DCOS_SERVICE_ACCOUNT_CREDENTIAL: JSON.stringify(credential) } });
    if (method === undefined) throw new Error('no method resolved');
    const client = open({ auth: method });
    await client.putSecret('pwx/resolved', 'v');
    expect(await client.getSecret('pwx/resolved')).toBe('v');
    expect(() => createSecretsClient({ url: store.url, auth: method, username: 'x', password: 'y' })).toThrow(
      /not both/,
    );
  });

  it('close() is safe twice and refuses later calls', async () => {
    const client = createSecretsClient({ url: store.url, credential });
    await client.putSecret('pwx/closing', 'v');
    await client.close();
    await client.close();
    await expectRejection(client.getSecret('pwx/closing'), 'ERR_USAGE');
  });
});

// Tests that move the IAM's clock get their own store: later logins elsewhere must not see a shifted clock.
describe('token expiry against the real IAM', () => {
  let clockStore: RealStore;
  let clockCredential: ServiceAccountCredential;

  beforeAll(async () => {
    clockStore = await startRealStore({ tokenLifetimeSeconds: 60 });
    clockCredential = await clockStore.createServiceAccount('portworx', ['dcos:secrets:default:/pwx/*']);
  });

  afterEach(() => {
    clockStore.resetClock();
  });

  afterAll(async () => {
    await clockStore?.close();
  });

  it('works from a saved `secrets-agent login` session and renews it through the kept credential', async () => {
    const stateDir = await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'session-'));
    const login = open({ url: clockStore.url, credential: clockCredential });
    await saveSession({ stateDir, url: clockStore.url, token: await login.getToken(), credential: clockCredential });
    const session = await loadSession(stateDir);
    if (session === undefined) throw new Error('no session saved');
    const client = open({
      url: session.url,
      token: session.token,
      ...(session.credential === undefined ? {} : { credential: session.credential }),
    });
    // The saved token is used as it is: no second login.
    expect(await client.getToken()).toBe(session.token);
    await client.putSecret('pwx/session', 'v');
    clockStore.advanceClock(100_000);
    expect(await client.getSecret('pwx/session')).toBe('v');
    expect(await client.getToken()).not.toBe(session.token);
  });

  it('logs in again when the store refuses an expired token', async () => {
    const client = open({ url: clockStore.url, credential: clockCredential });
    await client.putSecret('pwx/relogin', 'before');
    const first = await client.getToken();
    // The IAM's clock passes the token's 60 s lifetime; the client's clock does not, so only the 401 tells it.
    clockStore.advanceClock(100_000);
    expect(await client.getSecret('pwx/relogin')).toBe('before');
    const second = await client.getToken();
    expect(second).not.toBe(first);
    expect(client.tokenExpiresAt?.getTime()).toBeGreaterThan(Date.now());
  });

  it('uses a token file, and asks for `secrets-agent login` once the token is refused', async () => {
    const user = await clockStore.createUser('token-user', ['dcos:secrets:default:/token-space/*']);
    const iam = createIamClient({ url: clockStore.url });
    const token = await iam.login({ uid: user.uid, password: user.password }).finally(() => iam.close());
    const dir = await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'token-file-'));
    const tokenFile = join(dir, 'token');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const client = open({ url: clockStore.url, tokenFile });
    await client.putSecret('token-space/a', 'A');
    expect(await client.getSecret('token-space/a')).toBe('A');
    clockStore.advanceClock(100_000);
    const refused = client.getSecret('token-space/a');
    await expect(refused).rejects.toMatchObject({
      code: 'ERR_AUTH_LOGIN_REQUIRED',
      message: expect.stringContaining('secrets-agent login'),
    });
  });
});

describe('TLS against the real store', () => {
  it('verifies the store with the self-signed CA, and refuses it without', async () => {
    const tls = await createTlsFiles('store');
    const tlsStore = await startRealStore({ tls: { certFile: tls.certFile, keyFile: tls.keyFile } });
    try {
      expect(tlsStore.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
      const user = await tlsStore.createUser('tls-user', ['dcos:secrets:default:/tls/*']);
      const verified = createSecretsClient({
        url: tlsStore.url,
        caFile: tls.caFile,
        username: user.uid,
        password: user.password,
      });
      const unverified = createSecretsClient({ url: tlsStore.url, username: user.uid, password: user.password });
      try {
        await verified.putSecret('tls/key', binaryBytes);
        expect(Buffer.from(await verified.getSecretBytes('tls/key')).toString('hex')).toBe('76616c756585ff33');
        // The login is the first request: it already fails verification, before any password is sent.
        await expect(unverified.getSecret('tls/key')).rejects.toMatchObject({
          code: 'ERR_TLS_CONFIG',
          message: expect.stringContaining('--ca-file'),
        });
      } finally {
        await verified.close();
        await unverified.close();
      }
    } finally {
      await tlsStore.close();
    }
  });
});

describe('retries for reads (stand-in for a real DC/OS cluster)', () => {
  it('retries a 503 from a proxy, but never a write', async () => {
    let gets = 0;
    const standIn = await startDcosStandIn((request, res) => {
      if (request.method === 'GET') {
        gets += 1;
        if (gets === 1)
          return sendDcosError(res, 503, 'Service Unavailable', 'upstream connect error', {}, { 'retry-after': '0' });
        return sendJson(res, 200, { value: 'after retry' });
      }
      return sendDcosError(res, 503, 'Service Unavailable', 'upstream connect error');
    });
    const client = createSecretsClient({ url: standIn.url, token: 'tok', retry: { baseDelayMs: 1, maxAttempts: 3 } });
    try {
      expect(await client.getSecret('a')).toBe('after retry');
      expect(gets).toBe(2);
      await expect(client.createSecret('a', 'v')).rejects.toMatchObject({ code: 'ERR_STORE_UNREACHABLE' });
      expect(standIn.requests.filter((request) => request.method === 'PUT')).toHaveLength(1);
    } finally {
      await client.close();
      await standIn.close();
    }
  });
});
