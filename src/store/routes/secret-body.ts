// Parses the JSON body of PUT/PATCH /secret (the `Secret` schema, docs/wire-formats.md#secret-json): `value`
// plus the optional `author`, `description`, `labels`, `created`. Unknown fields are refused.
import { SecretsAgentError } from '../../core/errors.js';
import { parseJsonBody } from '../http/read-body.js';

export interface SecretJsonBody {
  /** Absent `value` is '' (Portworx sends `{}` for an empty value). */
  readonly value: string;
  readonly description?: string;
  readonly labels?: readonly string[];
}

const knownFields = new Set(['value', 'author', 'description', 'labels', 'created']);

// Narrows an untrusted body to a SecretJsonBody; ERR_INPUT_INVALID naming the JSON pointer.
export function parseSecretJsonBody(body: Buffer): SecretJsonBody {
  const value: unknown = parseJsonBody(body, 'secret');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('', `expected a JSON object like {"value": "..."}, got ${describe(value)}`);
  }
  const fields = value as Record<string, unknown>;
  for (const name of Object.keys(fields)) {
    if (!knownFields.has(name))
      throw invalid(`/${escapePointer(name)}`, 'unknown field (allowed: value, author, description, labels, created)');
  }
  const { value: secretValue, author, description, labels, created } = fields;
  if (secretValue !== undefined && typeof secretValue !== 'string')
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
    value: secretValue ?? '',
    ...(description === undefined ? {} : { description }),
    ...(labels === undefined ? {} : { labels: labels as string[] }),
  };
}

function invalid(pointer: string, message: string): SecretsAgentError {
  return new SecretsAgentError('ERR_INPUT_INVALID', `secret body ${pointer === '' ? '(root)' : pointer}: ${message}`, {
    details: { pointer },
  });
}

// Type only: a misplaced value could be a secret.
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value === undefined) return 'an empty body';
  return `a ${typeof value}`;
}

function escapePointer(name: string): string {
  const escaped = name.replace(/~/g, '~0').replace(/\//g, '~1');
  return escaped.length > 64 ? `${escaped.slice(0, 64)}...` : escaped;
}
