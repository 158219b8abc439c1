// Parses the JSON body of PUT/PATCH /secret (the `Secret` schema, docs/wire-formats.md#secret-json): `value` plus
// the optional `author`, `description`, `labels`, `created`. JSON `null` in any of them means
// absent (SDKs that serialise unset fields send `"created": null`). Unknown fields are refused.
// The value comes back as a Buffer of its UTF-8 bytes, never as a JS string (see parse-json-bytes.ts):
// the caller zeroes it once the record is encrypted.
import { SecretsAgentError } from '../../core/errors.js';
import { parseJsonBytes, wipeJsonBytes, type JsonBytesValue } from '../parse-json-bytes.js';
import { allocSecretBuffer } from '../../crypto/secret-buffer.js';

export interface SecretJsonBody {
  /** The value's UTF-8 bytes; absent or null `value` is empty (Portworx sends `{}` for an empty value). */
  readonly value: Buffer;
  readonly description?: string;
  readonly labels?: readonly string[];
}

const knownFields = new Set(['value', 'author', 'description', 'labels', 'created']);
const isValuePointer = (pointer: string): boolean => pointer === '/value';

// Narrows an untrusted body to a SecretJsonBody; ERR_INPUT_INVALID (ERR_INPUT_ENCODING for text
// that is not UTF-8) naming the JSON pointer. Nothing of the value is left unzeroed on failure.
export function parseSecretJsonBody(body: Uint8Array): SecretJsonBody {
  const parsed = parseJsonBytes(body, { what: 'secret body', bytesAt: isValuePointer });
  try {
    return narrowSecretBody(parsed);
  } catch (error) {
    wipeJsonBytes(parsed);
    throw error;
  }
}

function narrowSecretBody(parsed: JsonBytesValue | undefined): SecretJsonBody {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Buffer.isBuffer(parsed)) {
    throw invalid('', `expected a JSON object like {"value": "..."}, got ${describe(parsed)}`);
  }
  for (const name of Object.keys(parsed)) {
    if (!knownFields.has(name))
      throw invalid(`/${escapePointer(name)}`, 'unknown field (allowed: value, author, description, labels, created)');
  }
  const secretValue = orAbsent(parsed['value']);
  const author = orAbsent(parsed['author']);
  const created = orAbsent(parsed['created']);
  const description = orAbsent(parsed['description']);
  const labels = orAbsent(parsed['labels']);
  if (secretValue !== undefined && !Buffer.isBuffer(secretValue))
    throw invalid('/value', `expected a string, got ${describe(secretValue)}`);
  // `author` and `created` are accepted (the SDK sends them) but the store sets them itself.
  if (author !== undefined && typeof author !== 'string')
    throw invalid('/author', `expected a string, got ${describe(author)}`);
  if (created !== undefined && typeof created !== 'string')
    throw invalid('/created', `expected a string, got ${describe(created)}`);
  if (description !== undefined && typeof description !== 'string')
    throw invalid('/description', `expected a string, got ${describe(description)}`);
  if (labels !== undefined) {
    if (!Array.isArray(labels)) throw invalid('/labels', `expected an array of strings, got ${describe(labels)}`);
    for (const [index, label] of labels.entries()) {
      if (typeof label !== 'string') throw invalid(`/labels/${index}`, `expected a string, got ${describe(label)}`);
    }
  }
  return {
    value: secretValue ?? allocSecretBuffer(0),
    ...(description === undefined ? {} : { description }),
    ...(labels === undefined ? {} : { labels: labels as string[] }),
  };
}

function orAbsent(value: JsonBytesValue | undefined): JsonBytesValue | undefined {
  return value === null ? undefined : value;
}

function invalid(pointer: string, message: string): SecretsAgentError {
  return new SecretsAgentError('ERR_INPUT_INVALID', `secret body ${pointer === '' ? '(root)' : pointer}: ${message}`, {
    details: { pointer },
  });
}

// Type only: a misplaced value could be a secret.
function describe(value: JsonBytesValue | undefined): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value === undefined) return 'an empty body';
  if (Buffer.isBuffer(value)) return 'a string';
  return `a ${typeof value}`;
}

function escapePointer(name: string): string {
  const escaped = name.replace(/~/g, '~0').replace(/\//g, '~1');
  return escaped.length > 64 ? `${escaped.slice(0, 64)}...` : escaped;
}
