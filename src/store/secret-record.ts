// The stored form of one secret. Everything about the secret (value, type, description, labels,
// author, times) is encrypted as a whole with a data key; only the format version and key id
// stay readable. The AAD binds the record to its store and path, so a record copied to another
// path fails to open.
//
//   byte 0       format version (1)
//   byte 1       key id length L
//   bytes 2..    key id (ASCII), then AES-GCM nonce | ciphertext | tag
//   plaintext    u32 BE length of the metadata JSON | metadata JSON | value bytes
import { SecretsAgentError } from '../core/errors.js';
import type { SecretType } from '../core/secrets-api.js';
import { decryptAesGcm, encryptAesGcm } from '../crypto/aes-gcm.js';
import type { Keyring } from './keyring.js';
import { copySecretBuffer } from '../crypto/secret-buffer.js';

export const recordFormatVersion = 1;

export interface StoredSecret {
  readonly type: SecretType;
  readonly bytes: Uint8Array;
  readonly description?: string;
  readonly labels?: readonly string[];
  readonly author?: string;
  readonly created: string;
  readonly updated: string;
}

// Encrypts a secret for `store`/`path` with the keyring's active key.
export function encryptSecretRecord(keyring: Keyring, store: string, path: string, secret: StoredSecret): Buffer {
  const keyId = Buffer.from(keyring.activeKeyId, 'ascii');
  const header = Buffer.concat([Buffer.of(recordFormatVersion, keyId.length), keyId]);
  const meta = Buffer.from(
    JSON.stringify({
      type: secret.type,
      ...(secret.description === undefined ? {} : { description: secret.description }),
      ...(secret.labels === undefined ? {} : { labels: secret.labels }),
      ...(secret.author === undefined ? {} : { author: secret.author }),
      created: secret.created,
      updated: secret.updated,
    }),
    'utf8',
  );
  const length = Buffer.alloc(4);
  length.writeUInt32BE(meta.length);
  const plain = Buffer.concat([length, meta, secret.bytes]);
  try {
    return Buffer.concat([header, encryptAesGcm(keyring.activeKey, plain, recordAad(header, store, path))]);
  } finally {
    plain.fill(0);
  }
}

// Opens a stored record; ERR_STORE_CORRUPT when it fails its integrity check (tampered, moved to
// another path, unknown key id or format).
export function decryptSecretRecord(keyring: Keyring, store: string, path: string, blob: Uint8Array): StoredSecret {
  const corrupt = (reason: string): SecretsAgentError =>
    new SecretsAgentError('ERR_STORE_CORRUPT', `Secret \`${path}\` failed its integrity check: ${reason}`, {
      details: { path, store },
    });
  if (blob.byteLength < 2 || blob[0] !== recordFormatVersion) throw corrupt('unknown record format');
  const keyIdLength = blob[1] ?? 0;
  const headerLength = 2 + keyIdLength;
  const view = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const header = view.subarray(0, headerLength);
  const keyId = header.subarray(2).toString('ascii');
  const key = keyring.key(keyId);
  if (key === undefined) throw corrupt(`unknown data key \`${keyId.replace(/[^A-Za-z0-9_-]/g, '?')}\``);
  const plain = decryptAesGcm(key, view.subarray(headerLength), recordAad(header, store, path));
  if (plain === undefined) throw corrupt('authentication failed');
  try {
    if (plain.length < 4) throw corrupt('truncated payload');
    const metaLength = plain.readUInt32BE(0);
    if (4 + metaLength > plain.length) throw corrupt('truncated payload');
    const meta = parseMeta(plain.subarray(4, 4 + metaLength).toString('utf8'), corrupt);
    return { ...meta, bytes: copySecretBuffer(plain.subarray(4 + metaLength)) };
  } finally {
    // The value leaves as its own copy, which the caller zeroes; this one goes now.
    plain.fill(0);
  }
}

function parseMeta(text: string, corrupt: (reason: string) => SecretsAgentError): Omit<StoredSecret, 'bytes'> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw corrupt('metadata is not JSON');
  }
  if (typeof value !== 'object' || value === null) throw corrupt('metadata is not an object');
  const { type, description, labels, author, created, updated } = value as Record<string, unknown>;
  if (type !== 'text' && type !== 'binary') throw corrupt('bad type');
  if (typeof created !== 'string' || typeof updated !== 'string') throw corrupt('bad times');
  if (description !== undefined && typeof description !== 'string') throw corrupt('bad description');
  if (author !== undefined && typeof author !== 'string') throw corrupt('bad author');
  if (labels !== undefined && !(Array.isArray(labels) && labels.every((label) => typeof label === 'string')))
    throw corrupt('bad labels');
  return {
    type,
    created,
    updated,
    ...(description === undefined ? {} : { description }),
    ...(labels === undefined ? {} : { labels: labels as string[] }),
    ...(author === undefined ? {} : { author }),
  };
}

function recordAad(header: Buffer, store: string, path: string): Buffer {
  return Buffer.concat([header, Buffer.from(`\0secrets-agent/record\0${store}\0${path}`, 'utf8')]);
}
