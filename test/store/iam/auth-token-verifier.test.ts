import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signJwt } from '../../../src/crypto/jwt.js';
import { AuthTokenVerifier } from '../../../src/store/iam/auth-token-verifier.js';

// The verifier remembers verified tokens by their exact text: these are the cases where a
// remembered verdict must not be used (expiry, another key, any other text).
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const skew = 30;

function clockAt(startSeconds: number): { now: () => number; advance: (seconds: number) => void } {
  let seconds = startSeconds;
  return {
    now: () => seconds,
    advance: (by) => {
      seconds += by;
    },
  };
}

function tokenFor(uid: string, exp: number, key: KeyObject = keys.privateKey): string {
  return signJwt({ uid, iat: exp - 3600, exp, acct: 'epoch-1' }, key);
}

describe('AuthTokenVerifier cache', () => {
  it('refuses a remembered token once its exp (plus skew) has passed, within the cache TTL', async () => {
    const clock = clockAt(1_000_000);
    const verifier = new AuthTokenVerifier(keys.publicKey, {
      nowSeconds: clock.now,
      clockSkewSeconds: skew,
      cacheTtlSeconds: 3600,
    });
    const token = tokenFor('reader', 1_000_010);
    expect(await verifier.verify(token)).toMatchObject({ uid: 'reader', exp: 1_000_010, acct: 'epoch-1' });
    clock.advance(10 + skew - 1);
    expect((await verifier.verify(token)).uid).toBe('reader');
    clock.advance(1);
    await expect(verifier.verify(token)).rejects.toThrow(expect.objectContaining({ code: 'ERR_AUTH_TOKEN_EXPIRED' }));
  });

  it('never accepts a token whose signature did not verify, even beside a remembered one with the same claims', async () => {
    const clock = clockAt(1_000_000);
    const verifier = new AuthTokenVerifier(keys.publicKey, { nowSeconds: clock.now, clockSkewSeconds: skew });
    const token = tokenFor('reader', 1_003_600);
    await verifier.verify(token);
    const [header, claims, signature = ''] = token.split('.');
    // A middle character: the last one carries padding bits a decoder may ignore.
    const flipped = `${header}.${claims}.${signature.slice(0, 100)}${signature[100] === 'A' ? 'B' : 'A'}${signature.slice(101)}`;
    const otherKey = tokenFor('reader', 1_003_600, otherKeys.privateKey);
    for (const forged of [flipped, otherKey]) {
      // Twice: a failed verification must not be remembered either.
      await expect(verifier.verify(forged)).rejects.toThrow(
        expect.objectContaining({ code: 'ERR_AUTH_TOKEN_INVALID' }),
      );
      await expect(verifier.verify(forged)).rejects.toThrow(
        expect.objectContaining({ code: 'ERR_AUTH_TOKEN_INVALID' }),
      );
    }
    expect((await verifier.verify(token)).uid).toBe('reader');
  });

  it('forgets every remembered token when the signing key changes', async () => {
    const clock = clockAt(1_000_000);
    const verifier = new AuthTokenVerifier(keys.publicKey, { nowSeconds: clock.now, clockSkewSeconds: skew });
    const token = tokenFor('reader', 1_003_600);
    await verifier.verify(token);
    verifier.setPublicKey(otherKeys.publicKey);
    await expect(verifier.verify(token)).rejects.toThrow(expect.objectContaining({ code: 'ERR_AUTH_TOKEN_INVALID' }));
    expect((await verifier.verify(tokenFor('reader', 1_003_600, otherKeys.privateKey))).uid).toBe('reader');
  });

  it('checks again after the cache TTL, and stays correct when full (oldest remembered token dropped)', async () => {
    const clock = clockAt(1_000_000);
    const verifier = new AuthTokenVerifier(keys.publicKey, {
      nowSeconds: clock.now,
      clockSkewSeconds: skew,
      cacheTtlSeconds: 60,
      maxCachedTokens: 2,
    });
    const tokens = ['a', 'b', 'c'].map((uid) => tokenFor(uid, 1_003_600));
    for (const token of [...tokens, ...tokens]) await verifier.verify(token);
    clock.advance(61);
    expect(await Promise.all(tokens.map(async (token) => (await verifier.verify(token)).uid))).toEqual(['a', 'b', 'c']);
    verifier.setPublicKey(otherKeys.publicKey);
    for (const token of tokens)
      await expect(verifier.verify(token)).rejects.toThrow(expect.objectContaining({ code: 'ERR_AUTH_TOKEN_INVALID' }));
  });

  it('recall() answers only for the exact text of a verified, unexpired token, and never verifies', async () => {
    const clock = clockAt(1_000_000);
    const verifier = new AuthTokenVerifier(keys.publicKey, { nowSeconds: clock.now, clockSkewSeconds: skew });
    const token = tokenFor('reader', 1_000_100);
    expect(verifier.recall(token)).toBeUndefined();
    await verifier.verify(token);
    expect(verifier.recall(token)).toMatchObject({ uid: 'reader', exp: 1_000_100 });
    for (const other of [`${token} `, ` ${token}`, token.slice(0, -1), `${token}A`])
      expect(verifier.recall(other)).toBeUndefined();
    clock.advance(100 + skew);
    expect(verifier.recall(token)).toBeUndefined();
    await expect(verifier.verify(token)).rejects.toThrow(expect.objectContaining({ code: 'ERR_AUTH_TOKEN_EXPIRED' }));
  });

  it('a forged token ending like a remembered one (same signature, other claims) is refused and does not displace it', async () => {
    const clock = clockAt(1_000_000);
    const verifier = new AuthTokenVerifier(keys.publicKey, { nowSeconds: clock.now, clockSkewSeconds: skew });
    const token = tokenFor('reader', 1_003_600);
    await verifier.verify(token);
    const [header, , signature] = token.split('.');
    const claims = Buffer.from(
      JSON.stringify({ uid: 'admin', iat: 1_000_000, exp: 1_003_600, acct: 'epoch-1' }),
    ).toString('base64url');
    const forged = `${header}.${claims}.${signature}`;
    expect(forged.slice(-32)).toBe(token.slice(-32));
    expect(verifier.recall(forged)).toBeUndefined();
    await expect(verifier.verify(forged)).rejects.toThrow(expect.objectContaining({ code: 'ERR_AUTH_TOKEN_INVALID' }));
    expect(verifier.recall(token)?.uid).toBe('reader');
  });
});
