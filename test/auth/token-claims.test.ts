import { describe, expect, it } from 'vitest';
import { readTokenTimes } from '../../src/auth/token-claims.js';

const jwt = (claims: unknown): string =>
  `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;

describe('readTokenTimes', () => {
  it('reads exp, iat and uid without verifying', () => {
    expect(readTokenTimes(jwt({ uid: 'bootstrapuser', exp: 1482615456, iat: 1482183456 }))).toEqual({
      uid: 'bootstrapuser',
      expSeconds: 1482615456,
      iatSeconds: 1482183456,
    });
  });

  it('treats opaque or malformed tokens as carrying no times', () => {
    expect(readTokenTimes('4f0c0e5a9d')).toEqual({});
    expect(readTokenTimes('a.b.c')).toEqual({});
    expect(readTokenTimes(jwt(['array']))).toEqual({});
    expect(readTokenTimes(jwt({ exp: 'tomorrow', iat: -1 }))).toEqual({});
  });
});
