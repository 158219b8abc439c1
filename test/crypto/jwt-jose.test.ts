// issue 15.5: the signature, algorithm and `crit` checks are jose's, not only decodeJwt's shape
// checks in front of it. These hand decodeJwt's output a token its own checks would have refused,
// to show the jose layer refuses it by itself.
import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeJwt, signJwt, verifyDecodedJwt, type DecodedJwt } from '../../src/crypto/jwt.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const now = 1_700_000_000;
const claims = { uid: 'alice', exp: now + 60 };

// What decodeJwt would return for `token` if its header checks had let it through.
function bypassingShapeChecks(token: string): DecodedJwt {
  const good = decodeJwt(signJwt(claims, keys.privateKey));
  return { ...good, token };
}

describe('verifyDecodedJwt through jose (issue 15.5)', () => {
  it('refuses HS256 keyed with our public key, even past the shape checks', async () => {
    const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
    const mac = createHmac('sha256', keys.publicKey.export({ type: 'spki', format: 'pem' }))
      .update(input)
      .digest('base64url');
    await expect(
      verifyDecodedJwt(bypassingShapeChecks(`${input}.${mac}`), keys.publicKey, { nowSeconds: now }),
    ).rejects.toMatchObject({
      code: 'ERR_AUTH_TOKEN_INVALID',
    });
  });

  it('refuses an RS256 token with a critical header extension, correctly signed', async () => {
    const input = `${b64({ alg: 'RS256', crit: ['exp'], exp: 1 })}.${b64(claims)}`;
    const signature = sign('sha256', Buffer.from(input), keys.privateKey).toString('base64url');
    await expect(
      verifyDecodedJwt(bypassingShapeChecks(`${input}.${signature}`), keys.publicKey, { nowSeconds: now }),
    ).rejects.toMatchObject({ code: 'ERR_AUTH_TOKEN_INVALID' });
  });

  it('applies the clock tolerance to exp and nbf', async () => {
    const verify = (extra: object, skew: number) =>
      verifyDecodedJwt(decodeJwt(signJwt({ uid: 'alice', ...extra }, keys.privateKey)), keys.publicKey, {
        nowSeconds: now,
        clockSkewSeconds: skew,
      });
    await expect(verify({ exp: now - 10 }, 30)).resolves.toMatchObject({ uid: 'alice' });
    await expect(verify({ exp: now - 10 }, 5)).rejects.toMatchObject({ code: 'ERR_AUTH_TOKEN_EXPIRED' });
    await expect(verify({ exp: now + 60, nbf: now + 20 }, 30)).resolves.toMatchObject({ uid: 'alice' });
    await expect(verify({ exp: now + 60, nbf: now + 20 }, 5)).rejects.toThrow(/not valid yet/);
  });
});
