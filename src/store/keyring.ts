// The keyring: the data keys (with ids) that encrypt secret records. It is itself stored encrypted
// under the 32-byte unseal key (AES-256-GCM, AAD naming the store), so whoever lacks the unseal
// key holds only ciphertext. Records name the key id they were written with, so keys can rotate.
import { SecretsAgentError } from '../core/errors.js';
import { aesKeyBytes, decryptAesGcm, encryptAesGcm, generateAesKey } from '../crypto/aes-gcm.js';
import { decodeBase64, encodeBase64 } from './base64-bytes.js';
import { parseJsonBytes, wipeJsonBytes, type JsonBytesValue } from './parse-json-bytes.js';
import { allocSecretBuffer } from '../crypto/secret-buffer.js';

const keyringFormatVersion = 1;
const keyIdPattern = /^[A-Za-z0-9_-]{1,64}$/;

// Data keys held in memory while the store is unsealed; wipe() zeroes them on seal.
export class Keyring {
  readonly activeKeyId: string;
  readonly #keys: Map<string, Buffer>;
  readonly #onWipe: Array<() => void> = [];

  constructor(activeKeyId: string, keys: Map<string, Buffer>) {
    if (!keys.has(activeKeyId)) throw new SecretsAgentError('ERR_INTERNAL', `keyring has no key \`${activeKeyId}\``);
    this.activeKeyId = activeKeyId;
    this.#keys = keys;
  }

  /** The data key with this id, or undefined (unknown id, or wiped). */
  key(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  get activeKey(): Buffer {
    const key = this.#keys.get(this.activeKeyId);
    if (key === undefined) throw new SecretsAgentError('ERR_STORE_SEALED', 'store is sealed');
    return key;
  }

  get keyIds(): string[] {
    return [...this.#keys.keys()];
  }

  wipe(): void {
    for (const key of this.#keys.values()) key.fill(0);
    this.#keys.clear();
    for (const listener of this.#onWipe.splice(0)) listener();
  }

  /** Runs `listener` when the keyring is wiped (e.g. to drop what was decrypted with it). */
  onWipe(listener: () => void): void {
    this.#onWipe.push(listener);
  }
}

// A new keyring with one fresh data key.
export function createKeyring(): Keyring {
  return new Keyring('k1', new Map([['k1', generateAesKey()]]));
}

// Encrypts the keyring under the unseal key: version byte | nonce | ciphertext | tag. The plaintext
// is `{"version":1,"active":"k1","keys":{"k1":"<base64>"}}`, written into one Buffer (no string
// of a key is ever made) and zeroed after.
export function sealKeyring(keyring: Keyring, unsealKey: Uint8Array, store: string): Buffer {
  const pieces: Buffer[] = [
    Buffer.from(`{"version":${keyringFormatVersion},"active":${JSON.stringify(keyring.activeKeyId)},"keys":{`),
  ];
  for (const [index, id] of keyring.keyIds.entries()) {
    pieces.push(
      Buffer.from(`${index === 0 ? '' : ','}${JSON.stringify(id)}:"`),
      encodeBase64(keyring.key(id) as Buffer),
    );
    pieces.push(Buffer.from('"'));
  }
  pieces.push(Buffer.from('}}'));
  const plain = allocSecretBuffer(pieces.reduce((sum, piece) => sum + piece.length, 0));
  let at = 0;
  for (const piece of pieces) {
    at += piece.copy(plain, at);
    piece.fill(0);
  }
  try {
    return Buffer.concat([Buffer.of(keyringFormatVersion), encryptAesGcm(unsealKey, plain, keyringAad(store))]);
  } finally {
    plain.fill(0);
  }
}

// Opens a sealed keyring; undefined when the unseal key is wrong. ERR_STORE_CORRUPT when it
// opens but is malformed (that is storage damage, not a wrong key).
export function openKeyring(blob: Uint8Array, unsealKey: Uint8Array, store: string): Keyring | undefined {
  if (blob.byteLength < 1 || blob[0] !== keyringFormatVersion) {
    throw new SecretsAgentError('ERR_STORE_CORRUPT', `keyring of store \`${store}\` has an unknown format version`);
  }
  const plain = decryptAesGcm(unsealKey, blob.subarray(1), keyringAad(store));
  if (plain === undefined) return undefined;
  let parsed: JsonBytesValue | undefined;
  try {
    // The keys' base64 comes back as Buffers, zeroed below: never a string.
    parsed = parseJsonBytes(plain, { what: 'keyring', bytesAt: (pointer) => pointer.startsWith('/keys/') });
    return parseKeyring(parsed, store);
  } catch (error) {
    if (error instanceof SecretsAgentError && error.code === 'ERR_STORE_CORRUPT') throw error;
    throw new SecretsAgentError('ERR_STORE_CORRUPT', `keyring of store \`${store}\` is malformed`, { cause: error });
  } finally {
    wipeJsonBytes(parsed);
    plain.fill(0);
  }
}

function parseKeyring(value: JsonBytesValue | undefined, store: string): Keyring {
  const corrupt = (what: string): SecretsAgentError =>
    new SecretsAgentError('ERR_STORE_CORRUPT', `keyring of store \`${store}\`: ${what}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value))
    throw corrupt('not an object');
  const { version, active, keys } = value;
  if (version !== keyringFormatVersion) throw corrupt('unknown version');
  if (
    typeof active !== 'string' ||
    typeof keys !== 'object' ||
    keys === null ||
    Array.isArray(keys) ||
    Buffer.isBuffer(keys)
  )
    throw corrupt('missing fields');
  const map = new Map<string, Buffer>();
  try {
    for (const [id, encoded] of Object.entries(keys)) {
      if (!keyIdPattern.test(id) || !Buffer.isBuffer(encoded)) throw corrupt('bad key entry');
      const key = decodeBase64(encoded);
      if (key === undefined || key.length !== aesKeyBytes) {
        key?.fill(0);
        throw corrupt(`key \`${id}\` has the wrong length`);
      }
      map.set(id, key);
    }
    if (!map.has(active)) throw corrupt(`active key \`${active}\` is missing`);
  } catch (error) {
    for (const key of map.values()) key.fill(0);
    throw error;
  }
  return new Keyring(active, map);
}

function keyringAad(store: string): Buffer {
  return Buffer.from(`secrets-agent/keyring/v${keyringFormatVersion}\0${store}`, 'utf8');
}
