// Secrets end-to-end encrypted to a node: a stored value that is an OpenPGP message (ASCII armor,
// or binary as `gpg --encrypt` writes it) is decrypted with the node's private key. openpgp.js is
// loaded only when a key is given, so `run` without --pgp-key-file does not pay for it.
import { SecretsAgentError, isSecretsAgentError } from '../core/errors.js';
import type { SecretRecord } from '../core/secrets-api.js';
import type { PgpPrivateKey } from '../crypto/openpgp.js';
import { fileReadError } from '../core/file-read-error.js';
import { loadFsPromises } from '../core/lazy-builtins.js';

export type NodePgpKey = PgpPrivateKey;

const armorHeader = '-----BEGIN PGP MESSAGE-----';
/** A node key file is a few KiB; anything this large is not one. */
const maxKeyFileBytes = 1024 * 1024;

// Reads the node's private key file (armor or binary); `passphrase` unlocks a protected key.
export async function readNodePgpKey(file: string, passphrase?: string): Promise<NodePgpKey> {
  let bytes: Buffer;
  try {
    bytes = await loadFsPromises().readFile(file);
  } catch (error) {
    throw fileReadError('ERR_PGP_KEY_INVALID', `--pgp-key-file ${file}`, error, { file });
  }
  if (bytes.length > maxKeyFileBytes)
    throw new SecretsAgentError('ERR_PGP_KEY_INVALID', `--pgp-key-file ${file}: larger than ${maxKeyFileBytes} bytes`);
  const { readPgpPrivateKey } = await import('../crypto/openpgp.js');
  return readPgpPrivateKey(new Uint8Array(bytes), `--pgp-key-file ${file}`, passphrase);
}

// 'armored', 'binary', or undefined when the bytes are not an OpenPGP encrypted message.
export function detectPgpMessage(bytes: Uint8Array): 'armored' | 'binary' | undefined {
  const head = Buffer.from(bytes.subarray(0, 256)).toString('latin1').trimStart();
  if (head.startsWith(armorHeader)) return 'armored';
  return looksLikeBinaryMessage(bytes) ? 'binary' : undefined;
}

// The delivered form of `record`: decrypted when it is an OpenPGP message, else unchanged.
export async function decryptSecretValue(
  record: SecretRecord,
  key: NodePgpKey,
): Promise<{ record: SecretRecord; decrypted?: true }> {
  const form = detectPgpMessage(record.bytes);
  if (form === undefined) return { record };
  const { decryptPgpMessage } = await import('../crypto/openpgp.js');
  let bytes: Uint8Array;
  try {
    bytes = await decryptPgpMessage(
      form === 'armored' ? Buffer.from(record.bytes).toString('utf8') : record.bytes,
      key,
    );
  } catch (error) {
    const reason = isSecretsAgentError(error) ? error.message : 'decryption failed';
    throw new SecretsAgentError(
      'ERR_SECRET_DECRYPT_FAILED',
      `${reason} (the value is an OpenPGP message; is it encrypted to this node's key?)`,
      {
        details: { fingerprint: key.fingerprint },
        cause: error,
      },
    );
  }
  // An armored (text) message may wrap binary data: the delivered type follows the plaintext.
  const type = record.type === 'binary' || !isUtf8Text(bytes) ? 'binary' : 'text';
  return { record: { ...record, type, bytes }, decrypted: true };
}

// The first packet must be a public-key (tag 1, v3/v6) or symmetric-key (tag 3, v4-v6) encrypted
// session key packet with a length that fits: random binary secrets almost never pass all three.
function looksLikeBinaryMessage(bytes: Uint8Array): boolean {
  const first = bytes[0];
  if (first === undefined || (first & 0x80) === 0) return false;
  let tag: number;
  let headerLength: number;
  let bodyLength: number;
  if ((first & 0x40) !== 0) {
    tag = first & 0x3f;
    const octet = bytes[1] ?? 255;
    if (octet < 192) [headerLength, bodyLength] = [2, octet];
    else if (octet < 224) [headerLength, bodyLength] = [3, ((octet - 192) << 8) + (bytes[2] ?? 0) + 192];
    else if (octet === 255 && bytes.length >= 6)
      [headerLength, bodyLength] = [6, Buffer.from(bytes.subarray(2, 6)).readUInt32BE(0)];
    else return false;
  } else {
    tag = (first >> 2) & 0x0f;
    const lengthType = first & 0x03;
    if (lengthType === 3) return false;
    headerLength = 1 + 2 ** lengthType;
    if (bytes.length < headerLength) return false;
    bodyLength = Buffer.from(bytes.subarray(1, headerLength)).readUIntBE(0, 2 ** lengthType);
  }
  if (bytes.length < headerLength + bodyLength || bodyLength < 2) return false;
  const version = bytes[headerLength];
  if (tag === 1) return version === 3 || version === 6;
  if (tag === 3) return version === 4 || version === 5 || version === 6;
  return false;
}

function isUtf8Text(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return !bytes.includes(0);
  } catch {
    return false;
  }
}
