import { createPublicKey, verify } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthMethod } from '../../src/auth/auth-method.js';
import { parseServiceAccountCredential } from '../../src/auth/credential.js';
import { createTokenProvider, type LoginRequest } from '../../src/auth/token-provider.js';
import { createIamClient, type IamClient } from '../../src/client/iam-client.js';
import { createSecretsHttpApi } from '../../src/client/secrets-http-api.js';
import { SecretsAgentError } from '../../src/core/errors.js';
import { startRealStore, type RealStore } from '../client/support/real-store.js';
import { getServiceKeyPair, makeCredential, makeScratchDir } from './support/keys.js';
import { captureRejection, expectRejection } from '../helpers/rejection.js';

// An unsigned JWT-shaped token with the given times (the provider never verifies).
function fakeToken(name: string, iatSeconds: number, expSeconds: number): string {
  const part = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ uid: name, iat: iatSeconds, exp: expSeconds })}.c2ln`;
}

// The SecretsAgentError `promise` rejects with.

const nameOf = (token: string): string =>
  (JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as { uid: string }).uid;

// A scripted IAM login: records requests, issues `login-N` tokens with a 3000 s lifetime on the test clock.
function createFakeLogin(clock: { ms: number }) {
  const requests: LoginRequest[] = [];
  let failWith: unknown;
  return {
    requests,
    failNext(error: unknown) {
      failWith = error;
    },
    async login(request: LoginRequest): Promise<string> {
      requests.push(request);
      if (failWith !== undefined) {
        const error = failWith;
        failWith = undefined;
        throw error;
      }
      const iat = Math.floor(clock.ms / 1000);
      return fakeToken(`login-${requests.length}`, iat, iat + 3000);
    },
  };
}

const passwordMethod: AuthMethod = { kind: 'password', uid: 'px', password: 'pw', source: 'test' };
const endpoint = 'https://store.example/acs/api/v1/auth/login';

// A provider logging in with passwordMethod through the fake login, on a clock the test moves.
function createFakeProvider() {
  const clock = { ms: 1_000_000 };
  const fake = createFakeLogin(clock);
  const provider = createTokenProvider({
    method: passwordMethod,
    login: fake.login,
    loginEndpoint: endpoint,
    now: () => clock.ms,
  });
  return { clock, fake, provider };
}

describe('createTokenProvider with a login credential', () => {
  it('caches the token and de-duplicates concurrent logins', async () => {
    const { fake, provider } = createFakeProvider();
    const tokens = await Promise.all([provider.getToken(), provider.getToken(), provider.getToken()]);
    expect(new Set(tokens).size).toBe(1);
    expect(await provider.getToken()).toBe(tokens[0]);
    expect(fake.requests).toEqual([{ uid: 'px', password: 'pw' }]);
    expect(provider.expiresAt?.getTime()).toBe((1000 + 3000) * 1000);
    expect(provider.renewable).toBe(true);
  });

  it('renews at 2/3 of the lifetime read from `exp`', async () => {
    const { clock, provider } = createFakeProvider();
    expect(nameOf(await provider.getToken())).toBe('login-1');
    clock.ms += 1999_000;
    expect(nameOf(await provider.getToken())).toBe('login-1');
    clock.ms += 2_000;
    expect(nameOf(await provider.getToken())).toBe('login-2');
  });

  it('logs in again after invalidate(current); a stale invalidate changes nothing', async () => {
    const { provider } = createFakeProvider();
    const first = await provider.getToken();
    provider.invalidate(first, new Error('401'));
    const second = await provider.getToken();
    expect(nameOf(second)).toBe('login-2');
    provider.invalidate(first);
    expect(await provider.getToken()).toBe(second);
  });

  it('an invalidate during a pending login does not discard the new token', async () => {
    const clock = { ms: 1_000_000 };
    const fake = createFakeLogin(clock);
    const first = fakeToken('session', 1000, 4000);
    let releaseLogin: (() => void) | undefined;
    const provider = createTokenProvider({
      method: passwordMethod,
      initialToken: first,
      loginEndpoint: endpoint,
      now: () => clock.ms,
      login: async (request) => {
        await new Promise<void>((resolve) => {
          releaseLogin = resolve;
        });
        return fake.login(request);
      },
    });
    clock.ms += 2500_000;
    const pending = provider.getToken();
    provider.invalidate(first);
    releaseLogin?.();
    const renewed = await pending;
    expect(nameOf(renewed)).toBe('login-1');
    expect(await provider.getToken()).toBe(renewed);
  });

  it('keeps a still-valid token when a scheduled renewal fails for a retryable reason, and retries later', async () => {
    const { clock, fake, provider } = createFakeProvider();
    const first = await provider.getToken();
    clock.ms += 2100_000;
    fake.failNext(new SecretsAgentError('ERR_STORE_UNREACHABLE', 'down'));
    expect(await provider.getToken()).toBe(first);
    expect(await provider.getToken()).toBe(first);
    expect(fake.requests).toHaveLength(2);
    clock.ms += 30_000;
    expect(nameOf(await provider.getToken())).toBe('login-3');
  });

  it('fails when the renewal fails for good or the token is no longer usable', async () => {
    const { fake, provider } = createFakeProvider();
    const first = await provider.getToken();
    provider.invalidate(first);
    fake.failNext(new SecretsAgentError('ERR_STORE_UNREACHABLE', 'down'));
    await expectRejection(provider.getToken(), 'ERR_STORE_UNREACHABLE');
    fake.failNext(new SecretsAgentError('ERR_AUTH_LOGIN_FAILED', 'Login failed'));
    await expectRejection(provider.getToken(), 'ERR_AUTH_LOGIN_FAILED');
  });

  it('starts from a saved token and renews through the credential', async () => {
    const clock = { ms: 1_000_000 };
    const fake = createFakeLogin(clock);
    const saved = fakeToken('saved', 900, 960);
    const provider = createTokenProvider({
      method: passwordMethod,
      initialToken: saved,
      login: fake.login,
      loginEndpoint: endpoint,
      now: () => clock.ms,
    });
    // iat 900 s, exp 960 s, now 1000 s: expired, so a login at once.
    expect(nameOf(await provider.getToken())).toBe('login-1');
    const fresh = fakeToken('fresh', 1000, 1600);
    const second = createTokenProvider({
      method: passwordMethod,
      initialToken: fresh,
      login: fake.login,
      loginEndpoint: endpoint,
      now: () => clock.ms,
    });
    expect(await second.getToken()).toBe(fresh);
  });

  it('signs a service login token {uid, exp: now+120} and sends {uid, token}', async () => {
    const clock = { ms: 1_700_000_000_000 };
    const fake = createFakeLogin(clock);
    const credential = parseServiceAccountCredential(makeCredential(), 'test');
    const provider = createTokenProvider({
      method: { kind: 'service-account', credential, source: 'test' },
      login: fake.login,
      loginEndpoint: endpoint,
      now: () => clock.ms,
    });
    await provider.getToken();
    const request = fake.requests[0] as { uid: string; token: string };
    expect(request.uid).toBe('dcos-service');
    const [header, claims, signature] = request.token.split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(claims, 'base64url').toString())).toEqual({
      uid: 'dcos-service',
      exp: 1_700_000_120,
    });
    expect(
      verify(
        'sha256',
        Buffer.from(`${header}.${claims}`),
        createPublicKey(getServiceKeyPair().publicPem),
        Buffer.from(signature, 'base64url'),
      ),
    ).toBe(true);
  });

  it('close() forgets the token and refuses later calls', async () => {
    const { provider } = createFakeProvider();
    await provider.getToken();
    await provider.close();
    await provider.close();
    expect(provider.expiresAt).toBeUndefined();
    await expectRejection(provider.getToken(), 'ERR_USAGE');
  });

  it('validates its options', () => {
    expect(() => createTokenProvider({ method: passwordMethod })).toThrow(/needs `login` and `loginEndpoint`/);
    expect(() =>
      createTokenProvider({ method: { kind: 'token', token: 't', source: 'x' }, refreshFraction: 0 }),
    ).toThrow('Expected `refreshFraction` to be in (0, 1], got `0` (number)');
  });
});

describe('createTokenProvider with a token only', () => {
  it('a static token works until it expires, then asks for `secrets-agent login`', async () => {
    const clock = { ms: 1_000_000 };
    const provider = createTokenProvider({
      method: { kind: 'token', token: fakeToken('static', 1000, 1100), source: 'the saved session' },
      now: () => clock.ms,
    });
    expect(provider.renewable).toBe(false);
    expect(nameOf(await provider.getToken())).toBe('static');
    clock.ms += 96_000;
    const error = await captureRejection(provider.getToken());
    expect(error).toMatchObject({ code: 'ERR_AUTH_LOGIN_REQUIRED' });
    expect(error.message).toBe(
      'the token from the saved session expired at 1970-01-01T00:18:20.000Z, and no credential is kept to log in again: run `secrets-agent login`',
    );
  });

  it('a refused static token ends in ERR_AUTH_LOGIN_REQUIRED carrying the server’s reason', async () => {
    const provider = createTokenProvider({ method: { kind: 'token', token: 'opaque-token', source: '`token`' } });
    const token = await provider.getToken();
    provider.invalidate(
      token,
      new SecretsAgentError('ERR_AUTH_TOKEN_INVALID', 'token names an account that does not exist'),
    );
    const error = await captureRejection(provider.getToken());
    expect(error.code).toBe('ERR_AUTH_LOGIN_REQUIRED');
    expect(error.message).toContain('was refused by the store (token names an account that does not exist)');
    expect(error.message).not.toContain('opaque-token');
  });

  it('a token file is re-read when its token is refused, and a new token there is used', async () => {
    const dir = await makeScratchDir('token-file-');
    const file = join(dir, 'token');
    await writeFile(file, 'first-token\n', { mode: 0o600 });
    const provider = createTokenProvider({ method: { kind: 'token-file', file } });
    expect(await provider.getToken()).toBe('first-token');
    provider.invalidate('first-token');
    await writeFile(file, 'second-token\n');
    expect(await provider.getToken()).toBe('second-token');
    provider.invalidate('second-token');
    await expectRejection(provider.getToken(), 'ERR_AUTH_LOGIN_REQUIRED');
  });

  it('a missing, empty or multi-token file is ERR_AUTH_CREDENTIAL_INVALID naming the file', async () => {
    const dir = await makeScratchDir('token-file-');
    const missing = createTokenProvider({ method: { kind: 'token-file', file: join(dir, 'missing') } });
    await expect(missing.getToken()).rejects.toMatchObject({
      code: 'ERR_AUTH_CREDENTIAL_INVALID',
      message: expect.stringContaining('cannot read (ENOENT)'),
    });
    const file = join(dir, 'bad');
    await writeFile(file, 'one two', { mode: 0o600 });
    await expect(createTokenProvider({ method: { kind: 'token-file', file } }).getToken()).rejects.toMatchObject({
      message: `--token-file ${file}: expected one token on one line`,
    });
  });
});

describe('createTokenProvider against the real IAM (shared clock)', () => {
  let store: RealStore;
  let iam: IamClient;

  beforeAll(async () => {
    store = await startRealStore({ tokenLifetimeSeconds: 60 });
    iam = createIamClient({ url: store.url });
  });

  afterAll(async () => {
    await iam?.close();
    await store?.close();
  });

  it('logs a service account in, renews at 2/3 of the lifetime, and each token opens secrets', async () => {
    const credential = await store.createServiceAccount('renewer', ['dcos:secrets:default:/renew/*']);
    const logins: string[] = [];
    const provider = createTokenProvider({
      method: { kind: 'service-account', credential, source: 'test' },
      login: async (request, loginEndpoint) => {
        logins.push(request.uid);
        return iam.login(request, loginEndpoint);
      },
      loginEndpoint: credential.login_endpoint,
      now: () => store.nowMs(),
    });
    const api = createSecretsHttpApi({ url: store.url, tokenProvider: provider });
    try {
      await api.createSecret('renew/a', { type: 'text', bytes: new TextEncoder().encode('v') });
      const first = await provider.getToken();
      // 2/3 of 60 s is 40 s after `iat` (which is up to 1 s before the login): 35 s is before it, 42 s after.
      store.advanceClock(35_000);
      expect(await provider.getToken()).toBe(first);
      store.advanceClock(7_000);
      const second = await provider.getToken();
      expect(second).not.toBe(first);
      expect(logins).toEqual(['renewer', 'renewer']);
      expect((await api.getSecret('renew/a')).type).toBe('text');
    } finally {
      await api.close();
    }
  });
});
