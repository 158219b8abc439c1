// Hex between Buffers, never through a JS string, for the unseal key (`gpg -d` prints it as hex and
// `PUT /unseal` takes it so): a string of it could not be zeroed.
import { allocSecretBuffer } from '../crypto/secret-buffer.js';

const digits = Buffer.from('0123456789abcdef', 'ascii');

// Lower-case hex of `bytes` in a new Buffer the caller zeroes.
export function encodeHex(bytes: Uint8Array): Buffer {
  const out = allocSecretBuffer(bytes.length * 2);
  for (const [index, byte] of bytes.entries()) {
    out[index * 2] = digits[byte >> 4] as number;
    out[index * 2 + 1] = digits[byte & 0x0f] as number;
  }
  return out;
}

// Decodes hex text bytes (either case, surrounding ASCII whitespace ignored) of exactly
// `byteLength` bytes into a new Buffer; undefined when it is anything else.
export function decodeHexBytes(text: Uint8Array, byteLength: number): Buffer | undefined {
  let start = 0;
  let end = text.length;
  while (start < end && isSpace(text[start])) start += 1;
  while (end > start && isSpace(text[end - 1])) end -= 1;
  if (end - start !== byteLength * 2) return undefined;
  const out = allocSecretBuffer(byteLength);
  for (let index = 0; index < byteLength; index += 1) {
    const high = hexValue(text[start + index * 2]);
    const low = hexValue(text[start + index * 2 + 1]);
    if (high < 0 || low < 0) {
      out.fill(0);
      return undefined;
    }
    out[index] = (high << 4) | low;
  }
  return out;
}

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}
