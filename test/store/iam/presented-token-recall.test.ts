import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIam, type Iam } from '../../../src/store/iam/iam.js';
import type { StorageBackend } from '../../../src/store/storage/backend.js';
import { createTestLogger } from '../../helpers/log-capture.js';
import { openTestStorage } from './support/iam-server.js';

// authenticate() skips parsing `Authorization: token=<t>` when <t> is exactly a token it verified
// before. Every spelling of the header must still get the answer the full parse gives, whether or
// not the token is remembered, and a remembered token must still expire and die with its account.
let storage: StorageBackend;
let iam: Iam;
let nowMs = Date.UTC(2030, 0, 1);

beforeAll(async () => {
  storage = (await openTestStorage()).storage;
  iam = await createIam({ storage, log: createTestLogger(), now: () => nowMs, tokenLifetimeSeconds: 600 });
  await iam.createUser({ uid: 'reader', password: 'reader-password' });
});

afterAll(async () => {
  await iam.close();
  await storage.close();
});

const authenticate = (authorization: string) => iam.access.authenticate({ authorization });

describe('authenticate: remembered tokens', () => {
  it('answers every spelling of the header alike, whether or not the token is remembered', async () => {
    const spellings: Array<[(token: string) => string, string | undefined]> = [
      [(token) => ` token=${token}`, undefined],
      [(token) => `token=${token}  `, undefined],
      [(token) => `token=${token}\u00a0`, undefined],
      [(token) => `TOKEN=${token}`, undefined],
      [(token) => `Bearer ${token}`, undefined],
      [(token) => `bearer   ${token}`, undefined],
      [(token) => `token=${token} extra`, 'ERR_AUTH_REQUIRED'],
      [(token) => `token= ${token}`, 'ERR_AUTH_REQUIRED'],
      [(token) => `token=${token}x`, 'ERR_AUTH_TOKEN_INVALID'],
      [(token) => `token=${token.slice(0, -1)}`, 'ERR_AUTH_TOKEN_INVALID'],
      [(token) => `token=${token}`, undefined],
    ];
    const outcome = async (header: string): Promise<string> =>
      authenticate(header).then(
        (principal) => `ok ${principal.uid}`,
        (error: { code: string }) => error.code,
      );
    const expected = spellings.map(([, code]) => code ?? 'ok reader');
    // Never remembered: a fresh token (another second, so another iat) for every spelling.
    const fresh: string[] = [];
    for (const [spell] of spellings) {
      nowMs += 1000;
      fresh.push(await outcome(spell(await iam.issueToken('reader'))));
    }
    expect(fresh).toEqual(expected);
    // Remembered: one token, verified once before any of the spellings.
    const token = await iam.issueToken('reader');
    expect(await outcome(`token=${token}`)).toBe('ok reader');
    const remembered: string[] = [];
    for (const [spell] of spellings) remembered.push(await outcome(spell(token)));
    expect(remembered).toEqual(expected);
  });

  it('a remembered token expires (beyond the 30 s skew) and dies with its account', async () => {
    await iam.createUser({ uid: 'leaver', password: 'leaver-password' });
    const token = await iam.issueToken('leaver');
    expect((await authenticate(`token=${token}`)).uid).toBe('leaver');
    nowMs += (600 + 29) * 1000;
    expect((await authenticate(`token=${token}`)).uid).toBe('leaver');
    nowMs += 1000;
    await expect(authenticate(`token=${token}`)).rejects.toMatchObject({ code: 'ERR_AUTH_TOKEN_EXPIRED' });

    const fresh = await iam.issueToken('leaver');
    expect((await authenticate(`token=${fresh}`)).uid).toBe('leaver');
    await iam.deleteAccount('leaver');
    await expect(authenticate(`token=${fresh}`)).rejects.toMatchObject({ code: 'ERR_AUTH_TOKEN_INVALID' });
    // A new account of the same name does not revive the old token either.
    await iam.createUser({ uid: 'leaver', password: 'leaver-password' });
    await expect(authenticate(`token=${fresh}`)).rejects.toMatchObject({ code: 'ERR_AUTH_TOKEN_INVALID' });
  });

  it('a grant or revoke shows in the very next decision for a remembered token', async () => {
    const token = await iam.issueToken('reader');
    const principal = await authenticate(`token=${token}`);
    const rid = 'dcos:secrets:default:/team/db';
    await expect(iam.access.authorize(principal, rid, 'read')).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    await iam.grant({ uid: 'reader', rid, action: 'read' }, { createAcl: true });
    await iam.access.authorize(await authenticate(`token=${token}`), rid, 'read');
    await iam.grant({ uid: 'reader', rid: 'dcos:superuser', action: 'full' }, { createAcl: true });
    expect(await authenticate(`token=${token}`)).toEqual({ uid: 'reader', superuser: true });
    await iam.revoke({ uid: 'reader', rid: 'dcos:superuser', action: 'full' });
    await iam.revoke({ uid: 'reader', rid, action: 'read' });
    const after = await authenticate(`token=${token}`);
    expect(after).toEqual({ uid: 'reader', superuser: false });
    await expect(iam.access.authorize(after, rid, 'read')).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
  });
});
