import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt, signJwt, signJwtAsync, verifyJwt } from '../../src/crypto/jwt.js';

const b64 = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

// Builds a token by hand so every field can be wrong on purpose.
function handmade(header: unknown, claims: unknown, signer: (input: string) => Buffer): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${signer(input).toString('base64url')}`;
}

let ours: { publicKey: KeyObject; privateKey: KeyObject };
let other: { publicKey: KeyObject; privateKey: KeyObject };
const now = 1_700_000_000;
const rsaSigner = (key: KeyObject) => (input: string) => sign('sha256', Buffer.from(input), key);

beforeAll(() => {
  ours = generateKeyPairSync('rsa', { modulusLength: 2048 });
  other = generateKeyPairSync('rsa', { modulusLength: 2048 });
});

describe('signJwt / verifyJwt', () => {
  it('round-trips uid, iat and exp with an RS256 JWT header and kid', async () => {
    const token = signJwt({ uid: 'alice', iat: now, exp: now + 60 }, ours.privateKey, { kid: 'k1' });
    expect(await verifyJwt(token, ours.publicKey, { nowSeconds: now })).toEqual({
      uid: 'alice',
      iat: now,
      exp: now + 60,
    });
    expect(decodeJwt(token).header).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'k1' });
    const asyncToken = await signJwtAsync({ uid: 'bob', exp: now + 60 }, ours.privateKey);
    expect((await verifyJwt(asyncToken, ours.publicKey, { nowSeconds: now })).uid).toBe('bob');
  });

  it('accepts a token built with node:crypto directly, as PyJWT and java-jwt write them', async () => {
    const token = handmade({ typ: 'JWT', alg: 'RS256' }, { uid: 'svc', exp: now + 120 }, rsaSigner(ours.privateKey));
    expect((await verifyJwt(token, ours.publicKey, { nowSeconds: now })).uid).toBe('svc');
  });

  it('accepts an expired token within the clock skew and refuses it past the skew', async () => {
    const token = signJwt({ uid: 'alice', exp: now - 10 }, ours.privateKey);
    expect((await verifyJwt(token, ours.publicKey, { nowSeconds: now })).uid).toBe('alice');
    await expect(verifyJwt(token, ours.publicKey, { nowSeconds: now, clockSkewSeconds: 5 })).rejects.toThrow(
      expect.objectContaining({ code: 'ERR_AUTH_TOKEN_EXPIRED' }),
    );
    await expect(verifyJwt(token, ours.publicKey, { nowSeconds: now + 21 })).rejects.toThrow(
      expect.objectContaining({ code: 'ERR_AUTH_TOKEN_EXPIRED' }),
    );
  });

  it('enforces maxExpiresInSeconds (service login tokens) with the skew', async () => {
    const ok = signJwt({ uid: 'svc', exp: now + 600 + 30 }, ours.privateKey);
    const tooLong = signJwt({ uid: 'svc', exp: now + 600 + 31 }, ours.privateKey);
    expect((await verifyJwt(ok, ours.publicKey, { nowSeconds: now, maxExpiresInSeconds: 600 })).uid).toBe('svc');
    await expect(verifyJwt(tooLong, ours.publicKey, { nowSeconds: now, maxExpiresInSeconds: 600 })).rejects.toThrow(
      /more than 600 seconds ahead/,
    );
  });

  const forged: Array<[string, () => string, RegExp]> = [
    [
      'alg none, empty signature',
      () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ uid: 'alice', exp: now + 60 })}.`,
      /RS256, got `none`/,
    ],
    [
      'alg none with a signature',
      () => handmade({ alg: 'none' }, { uid: 'alice', exp: now + 60 }, () => Buffer.from('x')),
      /RS256, got `none`/,
    ],
    [
      'alg NONE upper case',
      () => handmade({ alg: 'NONE' }, { uid: 'alice', exp: now + 60 }, () => Buffer.from('x')),
      /RS256/,
    ],
    [
      'HS256 keyed with our public key PEM',
      () =>
        handmade({ alg: 'HS256', typ: 'JWT' }, { uid: 'alice', exp: now + 60 }, (input) =>
          createHmac('sha256', ours.publicKey.export({ type: 'spki', format: 'pem' }))
            .update(input)
            .digest(),
        ),
      /RS256, got `HS256`/,
    ],
    [
      'HS512',
      () =>
        handmade({ alg: 'HS512' }, { uid: 'alice', exp: now + 60 }, (input) =>
          createHmac('sha512', 'k').update(input).digest(),
        ),
      /RS256/,
    ],
    [
      'ES256 signed by an EC key',
      () => {
        const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        return handmade({ alg: 'ES256' }, { uid: 'alice', exp: now + 60 }, (input) =>
          sign('sha256', Buffer.from(input), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }),
        );
      },
      /RS256, got `ES256`/,
    ],
    ['PS256', () => handmade({ alg: 'PS256' }, { uid: 'alice', exp: now + 60 }, rsaSigner(ours.privateKey)), /RS256/],
    [
      'missing alg',
      () => handmade({ typ: 'JWT' }, { uid: 'alice', exp: now + 60 }, rsaSigner(ours.privateKey)),
      /none given/,
    ],
    [
      'critical header extension',
      () => handmade({ alg: 'RS256', crit: ['exp'] }, { uid: 'alice', exp: now + 60 }, rsaSigner(ours.privateKey)),
      /critical/,
    ],
    [
      'typ other than JWT',
      () => handmade({ alg: 'RS256', typ: 'JWE' }, { uid: 'alice', exp: now + 60 }, rsaSigner(ours.privateKey)),
      /type must be JWT/,
    ],
    [
      'bad signature (one byte flipped)',
      () => {
        const token = signJwt({ uid: 'alice', exp: now + 60 }, ours.privateKey);
        const signature = Buffer.from(token.split('.')[2] ?? '', 'base64url');
        signature[10] = (signature[10] ?? 0) ^ 0x01;
        return `${token.split('.').slice(0, 2).join('.')}.${signature.toString('base64url')}`;
      },
      /signature does not verify/,
    ],
    [
      'payload changed after signing',
      () => {
        const [header, , signature] = signJwt({ uid: 'alice', exp: now + 60 }, ours.privateKey).split('.');
        return `${header}.${b64({ uid: 'root', exp: now + 60 })}.${signature}`;
      },
      /signature does not verify/,
    ],
    [
      'signed by another key',
      () => signJwt({ uid: 'alice', exp: now + 60 }, other.privateKey),
      /signature does not verify/,
    ],
    [
      'truncated signature',
      () => signJwt({ uid: 'alice', exp: now + 60 }, ours.privateKey).slice(0, -8),
      /signature does not verify/,
    ],
    ['missing uid', () => signJwt({ exp: now + 60 }, ours.privateKey), /no `uid` claim/],
    ['empty uid', () => signJwt({ uid: '', exp: now + 60 }, ours.privateKey), /no `uid` claim/],
    ['numeric uid', () => signJwt({ uid: 7, exp: now + 60 }, ours.privateKey), /no `uid` claim/],
    ['missing exp', () => signJwt({ uid: 'alice' }, ours.privateKey), /numeric `exp`/],
    [
      'string exp (as the docs placeholder)',
      () => signJwt({ uid: 'alice', exp: String(now + 60) }, ours.privateKey),
      /numeric `exp`/,
    ],
    [
      'non-numeric iat',
      () => signJwt({ uid: 'alice', exp: now + 60, iat: 'yesterday' }, ours.privateKey),
      /`iat` claim is not a number/,
    ],
    [
      'iat in the future',
      () => signJwt({ uid: 'alice', exp: now + 600, iat: now + 300 }, ours.privateKey),
      /issued in the future/,
    ],
    [
      'nbf in the future',
      () => signJwt({ uid: 'alice', exp: now + 600, nbf: now + 300 }, ours.privateKey),
      /not valid yet/,
    ],
    [
      'payload is an array',
      () => handmade({ alg: 'RS256' }, [1, 2], rsaSigner(ours.privateKey)),
      /payload is not a JSON object/,
    ],
    ['payload is not JSON', () => `${b64({ alg: 'RS256' })}.${b64('not json')}.AAAA`, /payload is not JSON/],
    [
      'two parts only',
      () => `${b64({ alg: 'RS256' })}.${b64({ uid: 'a', exp: now + 60 })}`,
      /three dot-separated parts/,
    ],
    [
      'padding in base64',
      () => `${b64({ alg: 'RS256' })}=.${b64({ uid: 'a', exp: now + 60 })}.AAAA`,
      /header is not base64url/,
    ],
    ['garbage', () => 'garbage', /three dot-separated parts/],
    ['empty', () => '', /empty/],
    ['over-long token', () => 'a'.repeat(9000), /longer than 8192/],
  ];

  it.each(forged)('refuses %s', async (_name, build, message) => {
    const token = build();
    let thrown: unknown;
    try {
      await verifyJwt(token, ours.publicKey, { nowSeconds: now });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'ERR_AUTH_TOKEN_INVALID' });
    expect((thrown as Error).message).toMatch(message);
    // The message never repeats the token.
    if (token.length > 20) expect((thrown as Error).message).not.toContain(token.slice(-20));
  });

  it('refuses to verify with anything but an RSA public key', async () => {
    const token = signJwt({ uid: 'alice', exp: now + 60 }, ours.privateKey);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await expect(verifyJwt(token, ec.publicKey, { nowSeconds: now })).rejects.toThrow(/RSA public key/);
  });
});
