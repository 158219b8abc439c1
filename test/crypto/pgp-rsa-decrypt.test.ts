import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generatePgpKeyPair } from '../../src/crypto/openpgp.js';
import { decryptWithRsaKey, readPackets } from '../../src/crypto/pgp-rsa-decrypt.js';
import { getTestPgpKeyPair } from '../helpers/pgp-keypair.js';
import { createGpgHome, type GpgHome } from '../store/support/gpg-home.js';

// What the store encrypts: the unseal key as 64 hex digits.
const unsealKeyHex = Buffer.from('c9e0ffee00112233445566778899aabbccddeeff00112233445566778899aa33', 'ascii');

let gpg: GpgHome;

beforeAll(async () => {
  gpg = await createGpgHome();
});

afterAll(async () => {
  await gpg.close();
});

async function encryptWithOpenpgp(
  publicKeyArmored: string,
  data: Uint8Array,
  config: Partial<openpgp.Config> = {},
): Promise<Uint8Array> {
  const encryptionKeys = await openpgp.readKey({ armoredKey: publicKeyArmored });
  const message = await openpgp.createMessage({ binary: data });
  return (await openpgp.encrypt({ message, encryptionKeys, format: 'binary', config })) as Uint8Array;
}

function asBytes(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

describe('decryptWithRsaKey (node:crypto path for the store bootstrap key)', () => {
  it('opens what openpgp.js encrypts to the store default 4096-bit bootstrap key', async () => {
    const pair = await getTestPgpKeyPair();
    const message = await encryptWithOpenpgp(pair.publicKeyArmored, unsealKeyHex);
    const opened = decryptWithRsaKey(asBytes(pair.privateKeyArmored), message);
    expect(opened?.toString('ascii')).toBe(unsealKeyHex.toString('ascii'));
  });

  it('opens a 2048-bit key message holding any bytes, from armored or binary key input', async () => {
    const pair = await generatePgpKeyPair({ name: 'small', rsaBits: 2048 });
    const data = Buffer.from(Array.from({ length: 300 }, (_, index) => index % 256));
    const message = await encryptWithOpenpgp(pair.publicKeyArmored, data);
    expect(decryptWithRsaKey(asBytes(pair.privateKeyArmored), message)?.equals(data)).toBe(true);
    const binaryKey = (await openpgp.readPrivateKey({ armoredKey: pair.privateKeyArmored })).write();
    expect(decryptWithRsaKey(binaryKey, message)?.equals(data)).toBe(true);
  });

  it('opens a message whose packets use partial body lengths (a streamed encryption)', async () => {
    const pair = await generatePgpKeyPair({ name: 'stream', rsaBits: 2048 });
    const data = Buffer.alloc(70_000, 0x61);
    const encryptionKeys = await openpgp.readKey({ armoredKey: pair.publicKeyArmored });
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(data.subarray(0, 30_000));
        controller.enqueue(data.subarray(30_000));
        controller.close();
      },
    });
    const encrypted = await openpgp.encrypt({
      message: await openpgp.createMessage({ binary: stream }),
      encryptionKeys,
      format: 'binary',
    });
    const message = new Uint8Array(await new Response(encrypted as ReadableStream<Uint8Array>).arrayBuffer());
    // The PKESK (new format, tag 1), then the SEIPD (tag 18) whose first length octet is a partial length.
    expect(message[0]).toBe(0xc1);
    const first = message[1] ?? 0;
    const seipd = first < 192 ? 2 + first : 3 + ((first - 192) << 8) + (message[2] ?? 0) + 192;
    expect(message[seipd]).toBe(0xd2);
    expect(message[seipd + 1]).toBeGreaterThanOrEqual(224);
    expect(message[seipd + 1]).toBeLessThan(255);
    expect(decryptWithRsaKey(asBytes(pair.privateKeyArmored), message)?.equals(data)).toBe(true);
  });

  it('opens a message gpg encrypted without compression to a key gpg made (old-format headers, RSA subkey)', async () => {
    const email = await gpg.generateRsaKey('fast-path', 2048);
    const exported = await gpg.gpg(['--armor', '--export-secret-keys', email]);
    expect(exported.code, exported.stderr).toBe(0);
    const encrypted = await gpg.gpg(
      ['--trust-model', 'always', '--compress-algo', 'none', '--encrypt', '--recipient', email],
      unsealKeyHex,
    );
    expect(encrypted.code, encrypted.stderr).toBe(0);
    expect(decryptWithRsaKey(exported.stdout, encrypted.stdout)?.equals(unsealKeyHex)).toBe(true);
    // gpg's default compresses: left to openpgp.js (undefined here), which still opens it.
    const compressed = await gpg.gpg(['--trust-model', 'always', '--encrypt', '--recipient', email], unsealKeyHex);
    expect(compressed.code, compressed.stderr).toBe(0);
    expect(decryptWithRsaKey(exported.stdout, compressed.stdout)).toBeUndefined();
    const key = await openpgp.readPrivateKey({ armoredKey: exported.stdout.toString('utf8') });
    const { data } = await openpgp.decrypt({
      message: await openpgp.readMessage({ binaryMessage: new Uint8Array(compressed.stdout) }),
      decryptionKeys: key,
      format: 'binary',
    });
    expect(Buffer.from(data).equals(unsealKeyHex)).toBe(true);
  });

  it('answers undefined, leaving it to openpgp.js, for a tampered message, another key or a cut message', async () => {
    const pair = await generatePgpKeyPair({ name: 'checks', rsaBits: 2048 });
    const other = await generatePgpKeyPair({ name: 'other', rsaBits: 2048 });
    const key = asBytes(pair.privateKeyArmored);
    const message = await encryptWithOpenpgp(pair.publicKeyArmored, unsealKeyHex);
    expect(decryptWithRsaKey(key, message)).toBeDefined();
    // Each byte of the encrypted data flipped in turn (the last 60: the literal packet and the MDC).
    for (let offset = message.length - 60; offset < message.length; offset += 1) {
      const tampered = Buffer.from(message);
      tampered[offset] = (tampered[offset] ?? 0) ^ 0x01;
      expect(decryptWithRsaKey(key, tampered), `byte ${offset}`).toBeUndefined();
    }
    expect(decryptWithRsaKey(asBytes(other.privateKeyArmored), message)).toBeUndefined();
    expect(decryptWithRsaKey(key, message.subarray(0, message.length - 1))).toBeUndefined();
    expect(decryptWithRsaKey(key, new Uint8Array(0))).toBeUndefined();
    expect(decryptWithRsaKey(key, Buffer.from('not a message'))).toBeUndefined();
    expect(decryptWithRsaKey(asBytes('not a key'), message)).toBeUndefined();
  });

  it('answers undefined for a passphrase-protected key, an ECC key and a compressed message', async () => {
    const protectedPair = await generatePgpKeyPair({ name: 'locked', rsaBits: 2048, passphrase: 'pass phrase' });
    const lockedMessage = await encryptWithOpenpgp(protectedPair.publicKeyArmored, unsealKeyHex);
    expect(decryptWithRsaKey(asBytes(protectedPair.privateKeyArmored), lockedMessage)).toBeUndefined();

    const ecc = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'ecc' }], format: 'armored' });
    const eccMessage = await encryptWithOpenpgp(ecc.publicKey, unsealKeyHex);
    expect(decryptWithRsaKey(asBytes(ecc.privateKey), eccMessage)).toBeUndefined();

    const pair = await generatePgpKeyPair({ name: 'shapes', rsaBits: 2048 });
    const key = asBytes(pair.privateKeyArmored);
    const zlib = await encryptWithOpenpgp(pair.publicKeyArmored, unsealKeyHex, {
      preferredCompressionAlgorithm: openpgp.enums.compression.zlib,
    });
    expect(decryptWithRsaKey(key, zlib)).toBeUndefined();
  });
});

describe('readPackets', () => {
  it('reads old-format and new-format headers of each length size', () => {
    const body = (size: number) => Buffer.alloc(size, 7);
    const packets = readPackets(
      Buffer.concat([
        Buffer.from([0x80 | (11 << 2) | 0, 3]), // old, 1-byte length
        body(3),
        Buffer.from([0x80 | (11 << 2) | 1, 0x01, 0x00]), // old, 2-byte length: 256
        body(256),
        Buffer.from([0xc0 | 11, 192, 8]), // new, 2-byte length: (192 - 192) * 256 + 8 + 192 = 200
        body(200),
        Buffer.from([0xc0 | 11, 255, 0, 0, 0, 5]), // new, 5-byte length
        body(5),
        Buffer.from([0xc0 | 11, 0xe1]), // new, partial 2 bytes, then a final 1
        body(2),
        Buffer.from([1]),
        body(1),
      ]),
    );
    expect(packets?.map((packet) => [packet.tag, packet.body.length])).toEqual([
      [11, 3],
      [11, 256],
      [11, 200],
      [11, 5],
      [11, 3],
    ]);
  });

  it('refuses a length past the end and a byte that is not a packet header', () => {
    expect(readPackets(Buffer.from([0xc0 | 11, 10, 1, 2]))).toBeUndefined();
    expect(readPackets(Buffer.from([0x80 | (11 << 2) | 2, 0, 0]))).toBeUndefined();
    expect(readPackets(Buffer.from([0x0b, 1, 2]))).toBeUndefined();
  });
});
