// A JSON reader over bytes for bodies that carry secrets (secret values, unseal keys, the keyring).
// JSON.parse would make a JS string of every value, and strings cannot be zeroed: they stay in the
// heap until the garbage collector reuses their memory, long after a seal. This reader returns the
// strings at the JSON pointers the caller names as Buffers of their UTF-8 bytes (escapes decoded
// straight into bytes), which the caller zeroes; every other value comes back as JSON.parse would.
// It also checks what JSON.parse lets through: invalid UTF-8 and lone surrogate escapes (which
// would turn into U+FFFD) are refused with ERR_INPUT_ENCODING naming the field; duplicate keys are
// refused too (the dropped copy of a value could not be zeroed).
import { SecretsAgentError } from '../core/errors.js';
import { allocSecretBuffer } from '../crypto/secret-buffer.js';

export type JsonBytesValue = null | boolean | number | string | Buffer | JsonBytesArray | JsonBytesObject;
export type JsonBytesArray = JsonBytesValue[];
export interface JsonBytesObject {
  [key: string]: JsonBytesValue;
}

export interface ParseJsonBytesOptions {
  /** Names the document in errors, e.g. `secret body`. */
  readonly what: string;
  /** Whether the string at this JSON pointer comes back as a Buffer (never as a JS string). */
  readonly bytesAt: (pointer: string) => boolean;
}

const maxDepth = 64;

// Parses `input`; undefined for an empty body. On error every Buffer made so far is zeroed.
export function parseJsonBytes(input: Uint8Array, options: ParseJsonBytesOptions): JsonBytesValue | undefined {
  if (input.byteLength === 0) return undefined;
  const reader = new JsonBytesReader(input, options);
  try {
    return reader.readDocument();
  } catch (error) {
    reader.wipe();
    throw error;
  }
}

// Zeroes every Buffer inside a parsed value (for callers done with all of it).
export function wipeJsonBytes(value: JsonBytesValue | undefined): void {
  if (Buffer.isBuffer(value)) value.fill(0);
  else if (Array.isArray(value)) value.forEach(wipeJsonBytes);
  else if (typeof value === 'object' && value !== null) Object.values(value).forEach(wipeJsonBytes);
}

class JsonBytesReader {
  readonly #input: Buffer;
  readonly #options: ParseJsonBytesOptions;
  readonly #made: Buffer[] = [];
  readonly #path: string[] = [];
  #at = 0;

  constructor(input: Uint8Array, options: ParseJsonBytesOptions) {
    this.#input = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    this.#options = options;
  }

  wipe(): void {
    for (const buffer of this.#made) buffer.fill(0);
  }

  readDocument(): JsonBytesValue {
    const value = this.#readValue(0);
    this.#skipSpace();
    if (this.#at !== this.#input.length) throw this.#syntax('unexpected data after the JSON value');
    return value;
  }

  #readValue(depth: number): JsonBytesValue {
    if (depth > maxDepth) throw this.#syntax(`nested deeper than ${maxDepth} levels`);
    this.#skipSpace();
    const byte = this.#input[this.#at];
    switch (byte) {
      case 0x7b: // {
        return this.#readObject(depth);
      case 0x5b: // [
        return this.#readArray(depth);
      case 0x22: // "
        return this.#readString(this.#options.bytesAt(this.#pointer()));
      case 0x74: // t
        return this.#readLiteral('true', true);
      case 0x66: // f
        return this.#readLiteral('false', false);
      case 0x6e: // n
        return this.#readLiteral('null', null);
      default:
        return this.#readNumber();
    }
  }

  #readObject(depth: number): JsonBytesObject {
    const object = Object.create(null) as JsonBytesObject;
    this.#at += 1;
    this.#skipSpace();
    if (this.#input[this.#at] === 0x7d) {
      this.#at += 1;
      return object;
    }
    for (;;) {
      this.#skipSpace();
      if (this.#input[this.#at] !== 0x22) throw this.#syntax('expected a field name');
      const key = this.#readString(false) as string;
      if (Object.hasOwn(object, key)) {
        throw new SecretsAgentError(
          'ERR_INPUT_INVALID',
          `${this.#options.what} ${this.#pointer(key)}: duplicate field`,
          {
            details: { pointer: this.#pointer(key) },
          },
        );
      }
      this.#skipSpace();
      if (this.#input[this.#at] !== 0x3a) throw this.#syntax('expected `:` after a field name');
      this.#at += 1;
      this.#path.push(key);
      object[key] = this.#readValue(depth + 1);
      this.#path.pop();
      this.#skipSpace();
      const next = this.#input[this.#at];
      this.#at += 1;
      if (next === 0x7d) return object;
      if (next !== 0x2c) throw this.#syntax('expected `,` or `}` in an object', -1);
    }
  }

  #readArray(depth: number): JsonBytesArray {
    const array: JsonBytesArray = [];
    this.#at += 1;
    this.#skipSpace();
    if (this.#input[this.#at] === 0x5d) {
      this.#at += 1;
      return array;
    }
    for (;;) {
      this.#path.push(String(array.length));
      array.push(this.#readValue(depth + 1));
      this.#path.pop();
      this.#skipSpace();
      const next = this.#input[this.#at];
      this.#at += 1;
      if (next === 0x5d) return array;
      if (next !== 0x2c) throw this.#syntax('expected `,` or `]` in an array', -1);
    }
  }

  #readLiteral<T>(word: string, value: T): T {
    if (this.#input.toString('latin1', this.#at, this.#at + word.length) !== word)
      throw this.#syntax('unexpected token');
    this.#at += word.length;
    return value;
  }

  #readNumber(): number {
    const start = this.#at;
    const input = this.#input;
    if (input[this.#at] === 0x2d) this.#at += 1;
    if (input[this.#at] === 0x30) this.#at += 1;
    else if (!this.#skipDigits()) throw this.#syntax('unexpected token', 0, start);
    if (input[this.#at] === 0x2e) {
      this.#at += 1;
      if (!this.#skipDigits()) throw this.#syntax('expected a digit');
    }
    if (input[this.#at] === 0x65 || input[this.#at] === 0x45) {
      this.#at += 1;
      if (input[this.#at] === 0x2b || input[this.#at] === 0x2d) this.#at += 1;
      if (!this.#skipDigits()) throw this.#syntax('expected a digit');
    }
    return Number(input.toString('latin1', start, this.#at));
  }

  #skipDigits(): boolean {
    const start = this.#at;
    while (isDigit(this.#input[this.#at])) this.#at += 1;
    return this.#at > start;
  }

  // Decodes the string at #at (its opening quote) into bytes; a Buffer when `asBytes`, else a JS string.
  #readString(asBytes: boolean): string | Buffer {
    const input = this.#input;
    const start = this.#at + 1;
    // The raw extent first: decoded bytes are never more than the raw ones, so one allocation fits.
    let end = start;
    while (end < input.length && input[end] !== 0x22) end += input[end] === 0x5c ? 2 : 1;
    if (end >= input.length) throw this.#syntax('unterminated string', 0, this.#at);
    const out = allocSecretBuffer(end - start);
    if (asBytes) this.#made.push(out);
    let length = 0;
    let at = start;
    try {
      while (at < end) {
        const byte = input[at] as number;
        if (byte === 0x5c) {
          at = this.#decodeEscape(at, out, length);
          length = this.#escapeEnd;
        } else if (byte < 0x20) {
          throw this.#syntax('control character in a string', 0, at);
        } else if (byte < 0x80) {
          out[length++] = byte;
          at += 1;
        } else {
          const size = utf8SequenceLength(input, at, end);
          if (size === 0) throw this.#encoding('invalid UTF-8', at);
          input.copy(out, length, at, at + size);
          length += size;
          at += size;
        }
      }
    } catch (error) {
      out.fill(0);
      throw error;
    }
    this.#at = end + 1;
    if (asBytes) return out.subarray(0, length);
    const text = out.toString('utf8', 0, length);
    out.fill(0);
    return text;
  }

  #escapeEnd = 0;

  // Decodes the escape at `at` into out[length..]; returns the input position after it and
  // leaves the new output length in #escapeEnd.
  #decodeEscape(at: number, out: Buffer, length: number): number {
    const input = this.#input;
    const kind = input[at + 1];
    const simple = kind === undefined ? undefined : simpleEscapes[kind];
    if (simple !== undefined) {
      out[length] = simple;
      this.#escapeEnd = length + 1;
      return at + 2;
    }
    if (kind !== 0x75) throw this.#syntax('invalid escape in a string', 0, at);
    let code = this.#readHex4(at + 2);
    let next = at + 6;
    if (code >= 0xd800 && code <= 0xdbff) {
      const low = input[next] === 0x5c && input[next + 1] === 0x75 ? this.#readHex4(next + 2) : -1;
      if (low < 0xdc00 || low > 0xdfff) throw this.#encoding('a lone UTF-16 surrogate escape', at);
      code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
      next += 6;
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      throw this.#encoding('a lone UTF-16 surrogate escape', at);
    }
    this.#escapeEnd = writeUtf8(out, length, code);
    return next;
  }

  #readHex4(at: number): number {
    let code = 0;
    for (let index = at; index < at + 4; index += 1) {
      const digit = hexDigit(this.#input[index]);
      if (digit < 0) throw this.#syntax('invalid \\u escape', 0, at - 2);
      code = code * 16 + digit;
    }
    return code;
  }

  #skipSpace(): void {
    const input = this.#input;
    for (;;) {
      const byte = input[this.#at];
      if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return;
      this.#at += 1;
    }
  }

  #pointer(extra?: string): string {
    const parts = extra === undefined ? this.#path : [...this.#path, extra];
    return parts.map((part) => `/${part.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
  }

  // Says where, never what: the bytes around a syntax error may be part of a secret.
  #syntax(reason: string, offset = 0, at = this.#at + offset): SecretsAgentError {
    const where = at >= this.#input.length ? 'at the end' : `at byte ${at}`;
    return new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `${this.#options.what}: body is not valid JSON: ${reason} ${where}`,
      {
        details: { offset: at },
      },
    );
  }

  #encoding(what: string, at: number): SecretsAgentError {
    const pointer = this.#pointer();
    return new SecretsAgentError(
      'ERR_INPUT_ENCODING',
      `${this.#options.what} ${pointer === '' ? '(root)' : pointer}: ${what} at byte ${at}; send text as UTF-8 (binary values with Content-Type: application/octet-stream)`,
      { details: { pointer, offset: at } },
    );
  }
}

const simpleEscapes: Record<number, number> = {
  0x22: 0x22, // \"
  0x5c: 0x5c, // \\
  0x2f: 0x2f, // \/
  0x62: 0x08, // \b
  0x66: 0x0c, // \f
  0x6e: 0x0a, // \n
  0x72: 0x0d, // \r
  0x74: 0x09, // \t
};

function isDigit(byte: number | undefined): boolean {
  return byte !== undefined && byte >= 0x30 && byte <= 0x39;
}

function hexDigit(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  return -1;
}

// The length of the well-formed UTF-8 sequence at `at` (Unicode table 3-7: no overlong forms, no
// encoded surrogates, nothing past U+10FFFF), or 0.
function utf8SequenceLength(input: Buffer, at: number, end: number): number {
  const lead = input[at] as number;
  const next = (offset: number): number => (at + offset < end ? (input[at + offset] as number) : -1);
  const continuation = (byte: number): boolean => byte >= 0x80 && byte <= 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) return continuation(next(1)) ? 2 : 0;
  if (lead >= 0xe0 && lead <= 0xef) {
    const second = next(1);
    const low = lead === 0xe0 ? 0xa0 : 0x80;
    const high = lead === 0xed ? 0x9f : 0xbf;
    return second >= low && second <= high && continuation(next(2)) ? 3 : 0;
  }
  if (lead >= 0xf0 && lead <= 0xf4) {
    const second = next(1);
    const low = lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xf4 ? 0x8f : 0xbf;
    return second >= low && second <= high && continuation(next(2)) && continuation(next(3)) ? 4 : 0;
  }
  return 0;
}

function writeUtf8(out: Buffer, at: number, code: number): number {
  if (code < 0x80) {
    out[at] = code;
    return at + 1;
  }
  if (code < 0x800) {
    out[at] = 0xc0 | (code >> 6);
    out[at + 1] = 0x80 | (code & 0x3f);
    return at + 2;
  }
  if (code < 0x10000) {
    out[at] = 0xe0 | (code >> 12);
    out[at + 1] = 0x80 | ((code >> 6) & 0x3f);
    out[at + 2] = 0x80 | (code & 0x3f);
    return at + 3;
  }
  out[at] = 0xf0 | (code >> 18);
  out[at + 1] = 0x80 | ((code >> 12) & 0x3f);
  out[at + 2] = 0x80 | ((code >> 6) & 0x3f);
  out[at + 3] = 0x80 | (code & 0x3f);
  return at + 4;
}
