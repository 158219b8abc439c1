import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decryptPgpMessage,
  encryptToPgpKeys,
  generatePgpKeyPair,
  readPgpPrivateKey,
  readPgpPublicKey,
} from '../../src/crypto/openpgp.js';
import { getTestPgpKeyPair } from '../helpers/pgp-keypair.js';
import { createGpgHome, type GpgHome } from '../store/support/gpg-home.js';
import { expectRejection } from '../helpers/rejection.js';

let gpg: GpgHome;

beforeAll(async () => {
  gpg = await createGpgHome();
});

afterAll(async () => {
  await gpg.close();
});

describe('openpgp wrapper', () => {
  it('generates an "RSA and RSA" 4096-bit keypair that gpg imports and decrypts with', async () => {
    const pair = await getTestPgpKeyPair();
    expect(pair.fingerprint).toMatch(/^[0-9a-f]{40}$/);
    const imported = await gpg.gpg(['--import'], pair.privateKeyArmored);
    expect(imported.code, imported.stderr).toBe(0);
    const listing = await gpg.gpg(['--with-colons', '--list-secret-keys']);
    const text = listing.stdout.toString('utf8');
    // sec = primary, ssb = subkey; field 3 is the length, field 4 the algorithm (1 = RSA).
    expect(text).toMatch(/^sec:[^:]*:4096:1:/m);
    expect(text).toMatch(/^ssb:[^:]*:4096:1:/m);
    expect(text).toContain(`fpr:::::::::${pair.fingerprint.toUpperCase()}:`);

    const secret = Buffer.from('c9e0ffee00112233445566778899aabbccddeeff00112233445566778899aa33', 'ascii');
    const publicKey = await readPgpPublicKey(pair.publicKeyArmored, 'test key');
    const message = await encryptToPgpKeys(secret, [publicKey]);
    // A binary message: its first byte is a packet tag (high bit set), not armor.
    expect((message[0] ?? 0) & 0x80).toBe(0x80);
    const decrypted = await gpg.gpg(['--quiet', '--decrypt'], message);
    expect(decrypted.code, decrypted.stderr).toBe(0);
    expect(decrypted.stdout).toEqual(secret);
  });

  it('reads a gpg-generated key as armor, binary and base64 of binary, and gpg decrypts what we encrypt', async () => {
    const email = await gpg.generateRsaKey('operator');
    const armored = (await gpg.gpg(['--armor', '--export', email])).stdout.toString('utf8');
    const binary = (await gpg.gpg(['--export', email])).stdout;
    const base64 = binary.toString('base64');
    const fromArmor = await readPgpPublicKey(armored, 'armored');
    const fromBinary = await readPgpPublicKey(new Uint8Array(binary), 'binary');
    const fromBase64 = await readPgpPublicKey(base64, 'base64');
    const fromBase64Bytes = await readPgpPublicKey(Buffer.from(`${base64}\n`), 'base64 file');
    expect(
      new Set([fromArmor.fingerprint, fromBinary.fingerprint, fromBase64.fingerprint, fromBase64Bytes.fingerprint])
        .size,
    ).toBe(1);
    const gpgFingerprint = /^fpr:::::::::([0-9A-F]+):/m.exec(
      (await gpg.gpg(['--with-colons', '--fingerprint', email])).stdout.toString('utf8'),
    )?.[1];
    expect(fromBase64.fingerprint).toBe(gpgFingerprint?.toLowerCase());

    const message = await encryptToPgpKeys(Buffer.from('unseal me'), [fromBase64]);
    const decrypted = await gpg.gpg(['--quiet', '--decrypt'], message);
    expect(decrypted.code, decrypted.stderr).toBe(0);
    expect(decrypted.stdout.toString('utf8')).toBe('unseal me');

    // And the other way: openpgp.js decrypts what gpg encrypted, with gpg's private key.
    const secretKey = (await gpg.gpg(['--armor', '--export-secret-keys', email])).stdout.toString('utf8');
    const privateKey = await readPgpPrivateKey(secretKey, 'gpg secret key');
    const byGpg = await gpg.gpg(['--trust-model', 'always', '--encrypt', '-r', email], Buffer.from('from gpg'));
    expect(byGpg.code, byGpg.stderr).toBe(0);
    expect(Buffer.from(await decryptPgpMessage(new Uint8Array(byGpg.stdout), privateKey)).toString('utf8')).toBe(
      'from gpg',
    );
  });

  it('round-trips with a passphrase-protected key and refuses the wrong passphrase', async () => {
    const pair = await generatePgpKeyPair({ name: 'protected', rsaBits: 2048, passphrase: 'correct horse' });
    const message = await encryptToPgpKeys(Buffer.from([1, 2, 3]), [
      await readPgpPublicKey(pair.publicKeyArmored, 'pub'),
    ]);
    const privateKey = await readPgpPrivateKey(pair.privateKeyArmored, 'priv', 'correct horse');
    expect(Buffer.from(await decryptPgpMessage(message, privateKey))).toEqual(Buffer.from([1, 2, 3]));
    await expectRejection(readPgpPrivateKey(pair.privateKeyArmored, 'priv', 'wrong'), 'ERR_PGP_KEY_INVALID');
    const error = await expectRejection(
      readPgpPrivateKey(pair.privateKeyArmored, '--key-file /x'),
      'ERR_PGP_KEY_INVALID',
    );
    expect((error as Error).message).toContain('--key-file /x');
    expect((error as Error).message).toContain('passphrase');
  });

  it('fails to decrypt with another key (ERR_SECRET_DECRYPT_FAILED)', async () => {
    const pair = await getTestPgpKeyPair();
    const other = await generatePgpKeyPair({ name: 'other', rsaBits: 2048 });
    const message = await encryptToPgpKeys(Buffer.from('x'), [await readPgpPublicKey(pair.publicKeyArmored, 'pub')]);
    await expectRejection(
      decryptPgpMessage(message, await readPgpPrivateKey(other.privateKeyArmored, 'other')),
      'ERR_SECRET_DECRYPT_FAILED',
    );
  });

  it('rejects garbage, naming where the key came from', async () => {
    const error = await expectRejection(readPgpPublicKey('not a key!', '/pgp_keys/0'), 'ERR_PGP_KEY_INVALID');
    expect((error as Error).message).toContain('/pgp_keys/0');
    await expectRejection(readPgpPublicKey('QUJDRA==', 'base64 garbage'), 'ERR_PGP_KEY_INVALID');
    await expectRejection(readPgpPublicKey(new Uint8Array([0x99, 0, 1, 2]), 'binary garbage'), 'ERR_PGP_KEY_INVALID');
  });

  it('reduces a private key given as a public key to its public part', async () => {
    const pair = await getTestPgpKeyPair();
    const key = await readPgpPublicKey(pair.privateKeyArmored, 'private as public');
    expect(key.fingerprint).toBe(pair.fingerprint);
    expect(key.armor()).toContain('BEGIN PGP PUBLIC KEY BLOCK');
  });
});
