import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectPgpMessage } from '../../src/agent/pgp-value.js';
import { encryptToPgpKeys, generatePgpKeyPair, readPgpPublicKey, type PgpPublicKey } from '../../src/crypto/openpgp.js';

let publicKey: PgpPublicKey;
beforeAll(async () => {
  publicKey = await readPgpPublicKey(
    (await generatePgpKeyPair({ name: 'node', rsaBits: 2048 })).publicKeyArmored,
    'test',
  );
});

describe('detectPgpMessage', () => {
  it('recognizes armored and binary encrypted messages', async () => {
    const binary = await encryptToPgpKeys(new Uint8Array([1, 2, 3]), [publicKey]);
    expect(detectPgpMessage(binary)).toBe('binary');
    expect(detectPgpMessage(new TextEncoder().encode('\n  -----BEGIN PGP MESSAGE-----\n\nwcBMA...'))).toBe('armored');
  });

  it('leaves ordinary text, keys and random bytes alone', () => {
    expect(detectPgpMessage(new TextEncoder().encode('hunter2'))).toBeUndefined();
    expect(detectPgpMessage(new TextEncoder().encode('-----BEGIN PGP PUBLIC KEY BLOCK-----'))).toBeUndefined();
    expect(detectPgpMessage(publicKey.toBinary())).toBeUndefined();
    expect(detectPgpMessage(new Uint8Array(0))).toBeUndefined();
    expect(detectPgpMessage(new Uint8Array([0x85]))).toBeUndefined();
    // A tag-1 header whose length points past the end, and one with a wrong version byte.
    expect(detectPgpMessage(new Uint8Array([0xc1, 0x40, 3]))).toBeUndefined();
    expect(detectPgpMessage(new Uint8Array([0xc1, 0x02, 9, 9]))).toBeUndefined();
    let falsePositives = 0;
    for (let index = 0; index < 2000; index += 1)
      if (detectPgpMessage(randomBytes(64)) !== undefined) falsePositives += 1;
    expect(falsePositives).toBeLessThan(10);
  });
});
