// OpenPGP through openpgp.js, the project's only importer of it. Kept to what GnuPG 2.2 reads:
// "RSA and RSA" keys, SEIPDv1 messages (config.aeadProtect stays false), binary messages.
// Keys are read from ASCII armor, raw binary (`gpg --export`), or base64 of the binary
// (`gpg --export KEYID | base64 -w0`, the form DC/OS's `pgp_keys` takes).
import * as openpgp from 'openpgp';
import { SecretsAgentError } from '../core/errors.js';

export interface PgpKeyPair {
  readonly publicKeyArmored: string;
  /** Unprotected unless generated with a passphrase. A secret: never log it. */
  readonly privateKeyArmored: string;
  /** Primary key fingerprint, lower-case hex (what `gpg --fingerprint` shows, without spaces). */
  readonly fingerprint: string;
}

export interface GeneratePgpKeyPairOptions {
  readonly name: string;
  readonly email?: string;
  /** Default 4096. */
  readonly rsaBits?: number;
  readonly passphrase?: string;
}

// openpgp.js objects stay inside this module: callers hold opaque handles.
const publicKeys = new WeakMap<PgpPublicKey, openpgp.PublicKey>();
const privateKeys = new WeakMap<PgpPrivateKey, openpgp.PrivateKey>();

// A public key that can encrypt (it has a valid encryption key or subkey).
export class PgpPublicKey {
  readonly fingerprint: string;

  private constructor(key: openpgp.PublicKey) {
    this.fingerprint = key.getFingerprint();
    publicKeys.set(this, key);
  }

  /** @internal */
  static wrap(key: openpgp.PublicKey): PgpPublicKey {
    return new PgpPublicKey(key);
  }

  armor(): string {
    return unwrapPublic(this).armor();
  }

  /** The key as `gpg --export` writes it. */
  toBinary(): Uint8Array {
    return unwrapPublic(this).write();
  }
}

// A private key, unlocked and ready to decrypt.
export class PgpPrivateKey {
  readonly fingerprint: string;

  private constructor(key: openpgp.PrivateKey) {
    this.fingerprint = key.getFingerprint();
    privateKeys.set(this, key);
  }

  /** @internal */
  static wrap(key: openpgp.PrivateKey): PgpPrivateKey {
    return new PgpPrivateKey(key);
  }

  toPublic(): PgpPublicKey {
    return PgpPublicKey.wrap(unwrapPrivate(this).toPublic());
  }
}

function unwrapPublic(handle: PgpPublicKey): openpgp.PublicKey {
  const key = publicKeys.get(handle);
  if (key === undefined) throw new SecretsAgentError('ERR_INTERNAL', 'not a PgpPublicKey made by readPgpPublicKey');
  return key;
}

function unwrapPrivate(handle: PgpPrivateKey): openpgp.PrivateKey {
  const key = privateKeys.get(handle);
  if (key === undefined) throw new SecretsAgentError('ERR_INTERNAL', 'not a PgpPrivateKey made by readPgpPrivateKey');
  return key;
}

// Generates an "RSA and RSA" keypair (RSA sign primary, RSA encrypt subkey); RSA-4096 takes ~1.3 s.
export async function generatePgpKeyPair(options: GeneratePgpKeyPairOptions): Promise<PgpKeyPair> {
  const rsaBits = options.rsaBits ?? 4096;
  if (!Number.isInteger(rsaBits) || rsaBits < 2048) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`rsaBits\` to be an integer of at least 2048, got \`${String(rsaBits)}\` (${typeof rsaBits})`,
    );
  }
  const userID = options.email === undefined ? { name: options.name } : { name: options.name, email: options.email };
  const generated = await openpgp.generateKey({
    type: 'rsa',
    rsaBits,
    userIDs: [userID],
    format: 'armored',
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
  });
  const publicKey = await openpgp.readKey({ armoredKey: generated.publicKey });
  return Object.freeze({
    publicKeyArmored: generated.publicKey,
    privateKeyArmored: generated.privateKey,
    fingerprint: publicKey.getFingerprint(),
  });
}

// Reads a public key (a private key is reduced to its public part) and checks that it can encrypt.
// `what` names the source in errors, e.g. "--pgp-public-key /etc/key.asc" or "/pgp_keys/0".
export async function readPgpPublicKey(input: string | Uint8Array, what: string): Promise<PgpPublicKey> {
  let key: openpgp.Key;
  try {
    const source = decodeKeyInput(input);
    key =
      typeof source === 'string'
        ? await openpgp.readKey({ armoredKey: source })
        : await openpgp.readKey({ binaryKey: source });
  } catch (error) {
    throw keyError(`${what}: not an OpenPGP public key (expected ASCII armor, binary, or base64 of binary)`, error);
  }
  const publicKey = key.isPrivate() ? key.toPublic() : key;
  try {
    await publicKey.getEncryptionKey();
  } catch (error) {
    throw keyError(
      `${what}: OpenPGP key ${publicKey.getFingerprint()} has no usable encryption key (expired, revoked, or sign-only)`,
      error,
    );
  }
  return PgpPublicKey.wrap(publicKey);
}

// Reads a private key and unlocks it with `passphrase` when it is protected.
export async function readPgpPrivateKey(
  input: string | Uint8Array,
  what: string,
  passphrase?: string,
): Promise<PgpPrivateKey> {
  let key: openpgp.PrivateKey;
  try {
    const source = decodeKeyInput(input);
    key =
      typeof source === 'string'
        ? await openpgp.readPrivateKey({ armoredKey: source })
        : await openpgp.readPrivateKey({ binaryKey: source });
  } catch (error) {
    throw keyError(`${what}: not an OpenPGP private key`, error);
  }
  if (!key.isDecrypted()) {
    if (passphrase === undefined)
      throw keyError(`${what}: OpenPGP key ${key.getFingerprint()} is protected by a passphrase and none was given`);
    try {
      key = await openpgp.decryptKey({ privateKey: key, passphrase });
    } catch (error) {
      throw keyError(`${what}: wrong passphrase for OpenPGP key ${key.getFingerprint()}`, error);
    }
  }
  return PgpPrivateKey.wrap(key);
}

// Encrypts bytes to every key given; returns a binary OpenPGP message (what `gpg -d` reads).
export async function encryptToPgpKeys(data: Uint8Array, keys: readonly PgpPublicKey[]): Promise<Uint8Array> {
  if (keys.length === 0) throw new SecretsAgentError('ERR_INTERNAL', 'encryptToPgpKeys needs at least one key');
  const message = await openpgp.createMessage({ binary: data });
  return openpgp.encrypt({ message, encryptionKeys: keys.map(unwrapPublic), format: 'binary' });
}

// Decrypts a binary or armored OpenPGP message; ERR_SECRET_DECRYPT_FAILED when `key` cannot open it.
export async function decryptPgpMessage(message: Uint8Array | string, key: PgpPrivateKey): Promise<Uint8Array> {
  try {
    const parsed =
      typeof message === 'string'
        ? await openpgp.readMessage({ armoredMessage: message })
        : await openpgp.readMessage({ binaryMessage: message });
    const { data } = await openpgp.decrypt({ message: parsed, decryptionKeys: unwrapPrivate(key), format: 'binary' });
    return data;
  } catch (error) {
    throw new SecretsAgentError(
      'ERR_SECRET_DECRYPT_FAILED',
      `OpenPGP message could not be decrypted with key ${key.fingerprint}`,
      { cause: error },
    );
  }
}

// Armor text stays text; other text is base64 of the binary form; bytes that are armor become text.
function decodeKeyInput(input: string | Uint8Array): string | Uint8Array {
  if (typeof input !== 'string') {
    const head = Buffer.from(input.subarray(0, 64)).toString('latin1');
    if (head.trimStart().startsWith('-----BEGIN PGP')) return Buffer.from(input).toString('utf8');
    // `gpg --export` output starts with a packet tag (high bit set); anything else may be base64 text.
    if (input.byteLength > 0 && ((input[0] ?? 0) & 0x80) !== 0) return input;
    return decodeKeyInput(Buffer.from(input).toString('latin1'));
  }
  const text = input.trim();
  if (text.startsWith('-----BEGIN PGP')) return text;
  const compact = text.replace(/\s+/g, '');
  if (compact === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new SecretsAgentError('ERR_PGP_KEY_INVALID', 'neither ASCII armor nor base64');
  }
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

function keyError(message: string, cause?: unknown): SecretsAgentError {
  return new SecretsAgentError('ERR_PGP_KEY_INVALID', message, cause === undefined ? {} : { cause });
}
