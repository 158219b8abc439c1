// Writes bytes as a JSON string literal straight into a Buffer, for answers that carry a secret
// value: JSON.stringify would first need the value as a JS string, which cannot be zeroed.
// The bytes are UTF-8 text (checked on the way in); `"`, `\` and control characters are escaped
// as JSON.stringify escapes them, everything else is copied as it is.

const shortEscapes: Readonly<Record<number, string>> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x08: '\\b',
  0x09: '\\t',
  0x0a: '\\n',
  0x0c: '\\f',
  0x0d: '\\r',
};
const hex = '0123456789abcdef';

// The length of `bytes` as a JSON string literal, quotes included.
export function jsonStringLength(bytes: Uint8Array): number {
  let length = 2;
  for (const byte of bytes) length += byte >= 0x20 && byte !== 0x22 && byte !== 0x5c ? 1 : escapeLength(byte);
  return length;
}

// Writes `bytes` as a JSON string literal at out[at..]; returns the offset after it.
// `out` must have jsonStringLength(bytes) bytes free there.
export function writeJsonString(bytes: Uint8Array, out: Buffer, at: number): number {
  let position = at;
  out[position++] = 0x22;
  let runStart = 0;
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index] as number;
    if (byte >= 0x20 && byte !== 0x22 && byte !== 0x5c) continue;
    position += copyRun(bytes, runStart, index, out, position);
    const escape = shortEscapes[byte];
    if (escape !== undefined) position += out.write(escape, position, 'latin1');
    else {
      position += out.write('\\u00', position, 'latin1');
      out[position++] = hex.charCodeAt(byte >> 4);
      out[position++] = hex.charCodeAt(byte & 0x0f);
    }
    runStart = index + 1;
  }
  position += copyRun(bytes, runStart, bytes.length, out, position);
  out[position++] = 0x22;
  return position;
}

function escapeLength(byte: number): number {
  return shortEscapes[byte] === undefined ? 6 : 2;
}

function copyRun(bytes: Uint8Array, start: number, end: number, out: Buffer, at: number): number {
  if (end > start) out.set(bytes.subarray(start, end), at);
  return end - start;
}
