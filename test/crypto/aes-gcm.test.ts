import { describe, expect, it } from 'vitest';
import { aesOverheadBytes, decryptAesGcm, encryptAesGcm, generateAesKey } from '../../src/crypto/aes-gcm.js';
import { isSecretsAgentError } from '../../src/core/errors.js';

const aad = Buffer.from('store\0path');

describe('AES-256-GCM', () => {
  it('round-trips bytes and adds exactly nonce + tag', () => {
    const key = generateAesKey();
    const plain = Buffer.from([0x76, 0x61, 0x6c, 0x75, 0x65, 0x85, 0xff, 0x33]);
    const sealed = encryptAesGcm(key, plain, aad);
    expect(sealed.length).toBe(plain.length + aesOverheadBytes);
    expect(decryptAesGcm(key, sealed, aad)).toEqual(plain);
  });

  it('uses a fresh nonce for every encryption', () => {
    const key = generateAesKey();
    const nonces = new Set<string>();
    for (let index = 0; index < 200; index += 1)
      nonces.add(encryptAesGcm(key, Buffer.from('same'), aad).subarray(0, 12).toString('hex'));
    expect(nonces.size).toBe(200);
  });

  it('refuses a wrong key, other AAD, a flipped bit and a truncated blob', () => {
    const key = generateAesKey();
    const sealed = encryptAesGcm(key, Buffer.from('payload'), aad);
    expect(decryptAesGcm(generateAesKey(), sealed, aad)).toBeUndefined();
    expect(decryptAesGcm(key, sealed, Buffer.from('store\0other'))).toBeUndefined();
    const flipped = Buffer.from(sealed);
    flipped[14] = (flipped[14] ?? 0) ^ 1;
    expect(decryptAesGcm(key, flipped, aad)).toBeUndefined();
    expect(decryptAesGcm(key, sealed.subarray(0, 20), aad)).toBeUndefined();
    expect(decryptAesGcm(key, sealed.subarray(0, 10), aad)).toBeUndefined();
  });

  it('round-trips an empty plaintext', () => {
    const key = generateAesKey();
    expect(decryptAesGcm(key, encryptAesGcm(key, new Uint8Array(0), aad), aad)).toEqual(Buffer.alloc(0));
  });

  it('rejects keys that are not 32 bytes', () => {
    let caught: unknown;
    try {
      encryptAesGcm(Buffer.alloc(16), Buffer.from('x'), aad);
    } catch (error) {
      caught = error;
    }
    expect(isSecretsAgentError(caught, 'ERR_INTERNAL')).toBe(true);
  });
});
