import { createPublicKey, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePrivateKey } from '../../src/auth/credential.js';
import { createServiceLoginToken } from '../../src/auth/service-login-token.js';
import { getServiceKeyPair } from './support/keys.js';

const decode = (segment: string): unknown => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));

describe('createServiceLoginToken', () => {
  it('signs {uid, exp: now+120} with RS256, verifiable with the public key', () => {
    const { privatePem, publicPem } = getServiceKeyPair();
    const token = createServiceLoginToken({
      uid: 'dcos-service',
      privateKey: parsePrivateKey(privatePem, 'test'),
      nowSeconds: 1_700_000_000.7,
    });
    const [header, claims, signature] = token.split('.') as [string, string, string];
    expect(decode(header)).toEqual({ alg: 'RS256', typ: 'JWT' });
    expect(decode(claims)).toEqual({ uid: 'dcos-service', exp: 1_700_000_120 });
    expect(/^[A-Za-z0-9_-]+$/.test(signature)).toBe(true);
    const valid = verify(
      'sha256',
      Buffer.from(`${header}.${claims}`, 'ascii'),
      createPublicKey(publicPem),
      Buffer.from(signature, 'base64url'),
    );
    expect(valid).toBe(true);
    // A changed claim no longer verifies: the signature covers it.
    const forged = Buffer.from(JSON.stringify({ uid: 'admin', exp: 1_700_000_120 })).toString('base64url');
    expect(
      verify(
        'sha256',
        Buffer.from(`${header}.${forged}`, 'ascii'),
        createPublicKey(publicPem),
        Buffer.from(signature, 'base64url'),
      ),
    ).toBe(false);
  });

  it('takes another lifetime and defaults to the clock', () => {
    const privateKey = parsePrivateKey(getServiceKeyPair().privatePem, 'test');
    const token = createServiceLoginToken({ uid: 'u', privateKey, lifetimeSeconds: 30 });
    const { exp } = decode(token.split('.')[1] as string) as { exp: number };
    const nowSeconds = Math.floor(Date.now() / 1000);
    expect(exp - nowSeconds).toBeGreaterThanOrEqual(29);
    expect(exp - nowSeconds).toBeLessThanOrEqual(30);
  });

  it('refuses a public key', () => {
    const publicKey = createPublicKey(getServiceKeyPair().publicPem);
    expect(() => createServiceLoginToken({ uid: 'u', privateKey: publicKey })).toThrow(/RSA private key/);
  });
});
