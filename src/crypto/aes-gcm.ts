// AES-256-GCM with node:crypto. Every encryption draws a fresh random 96-bit nonce; the sealed
// form is `nonce (12) | ciphertext | tag (16)`. Additional authenticated data (AAD) binds a
// ciphertext to its context (store, path, key id), so a blob moved elsewhere fails to open.
import { createCipheriv, createDecipheriv, randomBytes, randomFillSync } from 'node:crypto';
import { SecretsAgentError } from '../core/errors.js';
import { allocSecretBuffer } from './secret-buffer.js';

export const aesKeyBytes = 32;
export const aesNonceBytes = 12;
export const aesTagBytes = 16;
/** Bytes a sealed blob adds to its plaintext. */
export const aesOverheadBytes = aesNonceBytes + aesTagBytes;

// Encrypts `plaintext` under a 32-byte key with a random nonce; returns nonce | ciphertext | tag.
export function encryptAesGcm(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  assertAesKey(key);
  const nonce = randomBytes(aesNonceBytes);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: aesTagBytes });
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const last = cipher.final();
  return Buffer.concat([nonce, body, last, cipher.getAuthTag()]);
}

// Opens a blob made by encryptAesGcm; undefined when the tag does not verify (wrong key, wrong
// AAD, truncated or altered bytes). Callers decide which error that is in their context.
export function decryptAesGcm(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer | undefined {
  assertAesKey(key);
  if (sealed.byteLength < aesOverheadBytes) return undefined;
  const view = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const nonce = view.subarray(0, aesNonceBytes);
  const tag = view.subarray(view.length - aesTagBytes);
  const body = view.subarray(aesNonceBytes, view.length - aesTagBytes);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: aesTagBytes });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const plain = decipher.update(body);
  try {
    // GCM is a stream mode: final() only checks the tag and adds no bytes.
    const last = decipher.final();
    if (last.length === 0) return plain;
    const whole = Buffer.concat([plain, last]);
    plain.fill(0);
    last.fill(0);
    return whole;
  } catch {
    plain.fill(0);
    return undefined;
  }
}

// A fresh random 32-byte key.
export function generateAesKey(): Buffer {
  // Outside the JS heap (secret-buffer.ts): randomBytes(32) would make it a movable heap object.
  return randomFillSync(allocSecretBuffer(aesKeyBytes));
}

function assertAesKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.byteLength !== aesKeyBytes) {
    const got = key instanceof Uint8Array ? `${key.byteLength} bytes` : typeof key;
    throw new SecretsAgentError('ERR_INTERNAL', `Expected an AES-256 key of ${aesKeyBytes} bytes, got ${got}`);
  }
}
