// Base64 (RFC 4648, with padding) between Buffers, never through a JS string: Node's
// Buffer.from(text, 'base64') and buf.toString('base64') take or make a string, and a string of
// key material or of a secret value cannot be zeroed.
import { allocSecretBuffer } from '../crypto/secret-buffer.js';

const alphabet = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'ascii');
const values = new Int16Array(256).fill(-1);
for (const [index, byte] of alphabet.entries()) values[byte] = index;

// The length of the base64 form of `byteLength` bytes.
export function base64Length(byteLength: number): number {
  return Math.ceil(byteLength / 3) * 4;
}

// Writes the base64 form of `bytes` at out[at..]; returns the offset after it.
export function writeBase64(bytes: Uint8Array, out: Buffer, at: number): number {
  let position = at;
  let index = 0;
  for (; index + 3 <= bytes.length; index += 3) {
    const triple =
      ((bytes[index] as number) << 16) | ((bytes[index + 1] as number) << 8) | (bytes[index + 2] as number);
    out[position++] = alphabet[triple >> 18] as number;
    out[position++] = alphabet[(triple >> 12) & 63] as number;
    out[position++] = alphabet[(triple >> 6) & 63] as number;
    out[position++] = alphabet[triple & 63] as number;
  }
  const rest = bytes.length - index;
  if (rest > 0) {
    const triple = ((bytes[index] as number) << 16) | (rest === 2 ? (bytes[index + 1] as number) << 8 : 0);
    out[position++] = alphabet[triple >> 18] as number;
    out[position++] = alphabet[(triple >> 12) & 63] as number;
    out[position++] = rest === 2 ? (alphabet[(triple >> 6) & 63] as number) : 0x3d;
    out[position++] = 0x3d;
  }
  return position;
}

// A new Buffer with the base64 form of `bytes` (zero it when done).
export function encodeBase64(bytes: Uint8Array): Buffer {
  const out = allocSecretBuffer(base64Length(bytes.length));
  writeBase64(bytes, out, 0);
  return out;
}

// Decodes base64 text bytes (padding optional, no whitespace); undefined when it is not base64.
export function decodeBase64(text: Uint8Array): Buffer | undefined {
  let end = text.length;
  while (end > 0 && text[end - 1] === 0x3d && text.length - end < 2) end -= 1;
  if (end % 4 === 1) return undefined;
  const out = allocSecretBuffer(Math.floor((end * 3) / 4));
  let bits = 0;
  let count = 0;
  let position = 0;
  for (let index = 0; index < end; index += 1) {
    const value = values[text[index] as number] as number;
    if (value < 0) {
      out.fill(0);
      return undefined;
    }
    bits = ((bits << 6) | value) & 0xffffff;
    count += 6;
    if (count >= 8) {
      count -= 8;
      out[position++] = (bits >> count) & 0xff;
    }
  }
  return out.subarray(0, position);
}
