// Parsers for the Secrets API's JSON answers: unknown in, typed out, ERR_HTTP_UNEXPECTED naming
// the field otherwise. A secret's `value` never appears in an error message.
import type { SealStatus, SecretRecord } from '../core/secrets-api.js';
import { unexpectedResponse, type HttpErrorContext } from './http-error.js';
import type { HttpResponse } from './http-transport.js';

/** The answer of `GET /secrets/v1/init/default`: hex-encoded encrypted unseal keys and their key fingerprints. */
export interface InitStatus {
  readonly initialized: boolean;
  /** Hex of each OpenPGP-encrypted unseal key (decode with `xxd -r -p | gpg -d`). */
  readonly keys: readonly string[];
  readonly pgpFingerprints: readonly string[];
}

type MutableRecord = { -readonly [Key in keyof SecretRecord]: SecretRecord[Key] };

const optionalTextFields = ['author', 'created', 'updated', 'description'] as const;
const utf8 = new TextEncoder();

// `{"value": "...", author?, created?, updated?, description?, labels?}` → the text record of `path`.
export function parseTextSecret(path: string, response: HttpResponse, context: HttpErrorContext): SecretRecord {
  return parseTextSecretRecord(path, parseObject(response, context), context, response.status, '');
}

// The record of a `Secret` object found at JSON pointer `where` of an answer (a batch item's `secret`).
// Plain assignments, no spreads or closures: a batch runs this once per secret on `run`'s cold path.
export function parseTextSecretRecord(
  path: string,
  body: Record<string, unknown>,
  context: HttpErrorContext,
  status: number,
  where: string,
): SecretRecord {
  const value = body['value'];
  if (typeof value !== 'string') throw unexpectedResponse(context, status, `${where}/value is not a string`);
  // encode() gives a Uint8Array of its own, never a slice of Buffer's shared pool.
  const record: MutableRecord = { path, type: 'text', bytes: utf8.encode(value) };
  for (const name of optionalTextFields) {
    const field = body[name];
    if (typeof field === 'string') record[name] = field;
  }
  const labels = body['labels'];
  if (Array.isArray(labels) && labels.every((label) => typeof label === 'string')) record.labels = labels as string[];
  return record;
}

// `{"array": ["key", "folder/key", ...]}` (docs/wire-formats.md#listing).
export function parseSecretList(response: HttpResponse, context: HttpErrorContext): string[] {
  const { array } = parseObject(response, context);
  if (!Array.isArray(array)) throw unexpectedResponse(context, response.status, '/array is not an array');
  for (const [index, key] of array.entries()) {
    if (typeof key !== 'string') throw unexpectedResponse(context, response.status, `/array/${index} is not a string`);
  }
  return array as string[];
}

// `{"sealed": bool, "threshold": int, "shares": int, "progress": int}`.
export function parseSealStatus(response: HttpResponse, context: HttpErrorContext): SealStatus {
  const { sealed, threshold, shares, progress } = parseObject(response, context);
  if (typeof sealed !== 'boolean') throw unexpectedResponse(context, response.status, '/sealed is not a boolean');
  const count = (name: string, value: unknown): number => {
    if (value === undefined) return 0;
    if (typeof value !== 'number' || !Number.isInteger(value))
      throw unexpectedResponse(context, response.status, `/${name} is not an integer`);
    return value;
  };
  return {
    sealed,
    threshold: count('threshold', threshold),
    shares: count('shares', shares),
    progress: count('progress', progress),
  };
}

// `{"initialized": bool, "keys": [hex], "pgp_fingerprints": [hex]}`.
export function parseInitStatus(response: HttpResponse, context: HttpErrorContext): InitStatus {
  const { initialized, keys, pgp_fingerprints: fingerprints } = parseObject(response, context);
  if (typeof initialized !== 'boolean')
    throw unexpectedResponse(context, response.status, '/initialized is not a boolean');
  const strings = (name: string, value: unknown): string[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
      throw unexpectedResponse(context, response.status, `/${name} is not an array of strings`);
    return value as string[];
  };
  return { initialized, keys: strings('keys', keys), pgpFingerprints: strings('pgp_fingerprints', fingerprints) };
}

export function parseObject(response: HttpResponse, context: HttpErrorContext): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(response.body.toString('utf8'));
  } catch {
    throw unexpectedResponse(context, response.status, 'the body is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw unexpectedResponse(context, response.status, 'the body is not a JSON object');
  return value as Record<string, unknown>;
}
