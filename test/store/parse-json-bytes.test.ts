// The byte-level JSON reader and writers that keep secret values out of JS strings (issue 12.3),
// checked against JSON.parse / JSON.stringify / Buffer's base64 on generated input (seeded, bounded),
// and the UTF-8 checks of issue 12.7.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSecretsAgentError } from '../../src/core/errors.js';
import { decodeBase64, encodeBase64 } from '../../src/store/base64-bytes.js';
import { decodeHexBytes, encodeHex } from '../../src/store/hex-bytes.js';
import { jsonStringLength, writeJsonString } from '../../src/store/json-string-bytes.js';
import { parseJsonBytes } from '../../src/store/parse-json-bytes.js';

const runs = { seed: 1203, numRuns: 300 };
const never = (): boolean => false;
// No lone surrogates (String.prototype.isWellFormed is past this project's ES2023 lib).
const wellFormed = fc.string({ unit: 'binary' }).filter((text) => !/[\ud800-\udfff]/u.test(text));

function errorCodeOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return isSecretsAgentError(error) ? error.code : 'not a SecretsAgentError';
  }
}

describe('parseJsonBytes', () => {
  it('reads any JSON document as JSON.parse does', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 2), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        expect(parseJsonBytes(Buffer.from(text), { what: 'doc', bytesAt: never })).toEqual(JSON.parse(text));
      }),
      runs,
    );
  });

  it('returns the chosen strings as their UTF-8 bytes, whatever the escapes', () => {
    fc.assert(
      fc.property(wellFormed, fc.boolean(), (value, asciiOnly) => {
        // JSON.stringify leaves non-ASCII as it is; the \u form is the other way clients send it.
        let text = JSON.stringify({ value, other: value });
        if (asciiOnly)
          text = text.replace(/[\u0080-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
        const parsed = parseJsonBytes(Buffer.from(text), {
          what: 'doc',
          bytesAt: (pointer) => pointer === '/value',
        }) as Record<string, unknown>;
        expect(Buffer.isBuffer(parsed['value'])).toBe(true);
        expect((parsed['value'] as Buffer).equals(Buffer.from(value, 'utf8'))).toBe(true);
        expect(parsed['other']).toBe(value);
      }),
      runs,
    );
  });

  it('refuses what JSON.parse refuses, with ERR_INPUT_INVALID', () => {
    for (const text of ['{', '{"a":1,}', '[1 2]', '{"a" 1}', 'tru', '01', '1.', '"\\x"', '"a', '{"a":1} x', '"\t"']) {
      expect(() => JSON.parse(text), text).toThrow();
      expect(
        errorCodeOf(() => parseJsonBytes(Buffer.from(text), { what: 'doc', bytesAt: never })),
        text,
      ).toBe('ERR_INPUT_INVALID');
    }
    expect(errorCodeOf(() => parseJsonBytes(Buffer.from('{"a":1,"a":2}'), { what: 'doc', bytesAt: never }))).toBe(
      'ERR_INPUT_INVALID',
    );
  });

  it('issue 12.7: refuses invalid UTF-8 anywhere in a string and lone surrogate escapes (ERR_INPUT_ENCODING)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 8 }), (bytes) => {
        const raw = Buffer.from(bytes).filter((byte) => byte >= 0x20 && byte !== 0x22 && byte !== 0x5c);
        const body = Buffer.concat([Buffer.from('{"k":"'), Buffer.from(raw), Buffer.from('"}')]);
        const valid = Buffer.from(Buffer.from(raw).toString('utf8'), 'utf8').equals(Buffer.from(raw));
        const code = errorCodeOf(() => parseJsonBytes(body, { what: 'doc', bytesAt: never }));
        expect(code).toBe(valid ? undefined : 'ERR_INPUT_ENCODING');
      }),
      runs,
    );
    for (const escape of ['\\ud800', '\\udfff', '\\ud800\\ud800', '\\udc00\\ud800', '\\ud800x']) {
      expect(errorCodeOf(() => parseJsonBytes(Buffer.from(`["${escape}"]`), { what: 'doc', bytesAt: never }))).toBe(
        'ERR_INPUT_ENCODING',
      );
    }
  });
});

describe('byte writers', () => {
  it('writeJsonString writes what JSON.stringify writes for UTF-8 text', () => {
    fc.assert(
      fc.property(wellFormed, (value) => {
        const bytes = Buffer.from(value, 'utf8');
        const out = Buffer.alloc(jsonStringLength(bytes));
        expect(writeJsonString(bytes, out, 0)).toBe(out.length);
        expect(out.toString('utf8')).toBe(JSON.stringify(value));
      }),
      runs,
    );
  });

  it('base64 and hex round-trip as Buffer encodes them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const base64 = encodeBase64(bytes);
        expect(base64.toString('ascii')).toBe(Buffer.from(bytes).toString('base64'));
        expect(decodeBase64(base64)?.equals(Buffer.from(bytes))).toBe(true);
        expect(encodeHex(bytes).toString('ascii')).toBe(Buffer.from(bytes).toString('hex'));
        const upper = Buffer.from(Buffer.from(bytes).toString('hex').toUpperCase());
        expect(decodeHexBytes(upper, bytes.length)?.equals(Buffer.from(bytes))).toBe(true);
      }),
      runs,
    );
    expect(decodeBase64(Buffer.from('a*=='))).toBeUndefined();
    expect(decodeHexBytes(Buffer.from(' 0g '), 1)).toBeUndefined();
    expect(decodeHexBytes(Buffer.from('\n0aff\n'), 2)?.toString('hex')).toBe('0aff');
  });
});
