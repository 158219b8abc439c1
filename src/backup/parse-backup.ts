// Reads a backup file (backup-document.ts) from untrusted text. Every problem is collected with
// its JSON pointer before anything is returned, so `secret import` writes nothing from a file
// that is wrong anywhere. Messages name pointers, paths and keys, never a value.
import { SecretsAgentError, isSecretsAgentError } from '../core/errors.js';
import type { SecretType } from '../core/secrets-api.js';
import { backupEntryPath, type BackupDocument, type BackupEntry } from './backup-document.js';

export interface ParseBackupOptions {
  /** Names the file in messages. */
  readonly source: string;
  /** Checks a full secret path (the store's rules); throws a SecretsAgentError whose message becomes the issue. */
  readonly checkPath?: (path: string) => void;
  /** Largest value accepted, in bytes. */
  readonly maxValueBytes?: number;
}

const topFields = new Set(['cluster_id', 'secrets']);
const entryFields = new Set(['path', 'key', 'type', 'value', 'description', 'labels', 'author', 'created', 'updated']);
const maxIssuesShown = 20;
const canonicalBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

// The document, or ERR_INPUT_INVALID listing every issue (`/secrets/2/value: must be base64`).
export function parseBackup(input: string | Uint8Array, options: ParseBackupOptions): BackupDocument {
  const text = typeof input === 'string' ? input : decodeUtf8(input, options.source);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // V8's message quotes the input around the error, which may be a value: report only where.
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `${options.source} is not valid JSON${describePosition(text, error)}`,
      { details: { source: options.source } },
    );
  }
  const issues: string[] = [];
  const report = (pointer: string, problem: string): void => {
    issues.push(`${pointer === '' ? 'the document' : pointer}: ${problem}`);
  };
  const document = readDocument(value, options, report);
  if (issues.length > 0 || document === undefined) {
    const shown = issues.slice(0, maxIssuesShown);
    const more = issues.length > shown.length ? `\n  ... and ${issues.length - shown.length} more` : '';
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `${options.source} is not a valid backup file (${issues.length} ${issues.length === 1 ? 'issue' : 'issues'}):\n  ${shown.join('\n  ')}${more}`,
      {
        details: { source: options.source, issues },
      },
    );
  }
  return document;
}

type Report = (pointer: string, problem: string) => void;

function readDocument(value: unknown, options: ParseBackupOptions, report: Report): BackupDocument | undefined {
  if (!isPlainObject(value)) {
    report('', 'must be a JSON object with a `secrets` array');
    return undefined;
  }
  for (const name of Object.keys(value))
    if (!topFields.has(name))
      report(`/${escapeToken(name)}`, 'is not a known field (expected `secrets`, `cluster_id`)');
  const clusterId = value['cluster_id'];
  if (clusterId !== undefined && typeof clusterId !== 'string') report('/cluster_id', 'must be a string');
  const secrets = value['secrets'];
  if (!Array.isArray(secrets)) {
    report('/secrets', secrets === undefined ? 'is missing; expected an array of secrets' : 'must be an array');
    return undefined;
  }
  const entries: BackupEntry[] = [];
  const firstIndexByPath = new Map<string, number>();
  for (const [index, item] of secrets.entries()) {
    const entry = readEntry(item, `/secrets/${index}`, options, report);
    if (entry === undefined) continue;
    const fullPath = backupEntryPath(entry);
    const first = firstIndexByPath.get(fullPath);
    if (first !== undefined) {
      report(`/secrets/${index}`, `restores to \`${fullPath}\`, as /secrets/${first} does`);
      continue;
    }
    firstIndexByPath.set(fullPath, index);
    entries.push(entry);
  }
  return { ...(typeof clusterId === 'string' ? { clusterId } : {}), secrets: entries };
}

function readEntry(
  item: unknown,
  pointer: string,
  options: ParseBackupOptions,
  report: Report,
): BackupEntry | undefined {
  if (!isPlainObject(item)) {
    report(pointer, 'must be an object with `path`, `key`, `type` and `value`');
    return undefined;
  }
  const before = countingReport(report);
  for (const name of Object.keys(item))
    if (!entryFields.has(name)) before.report(`${pointer}/${escapeToken(name)}`, 'is not a known field');

  const path = item['path'];
  if (typeof path !== 'string') before.report(`${pointer}/path`, 'must be a string (`""` for the root)');
  else if (path.startsWith('/') || path.endsWith('/'))
    before.report(`${pointer}/path`, `must not start or end with \`/\`, got \`${clip(path)}\``);
  const key = item['key'];
  if (typeof key !== 'string' || key === '') before.report(`${pointer}/key`, 'must be a non-empty string');
  else if (key.startsWith('/')) before.report(`${pointer}/key`, `must not start with \`/\`, got \`${clip(key)}\``);

  const type = item['type'];
  if (type !== 'text' && type !== 'binary') before.report(`${pointer}/type`, 'must be `text` or `binary`');
  const bytes = readValue(item['value'], type, `${pointer}/value`, options, before.report);

  const description = item['description'];
  if (description !== undefined && typeof description !== 'string')
    before.report(`${pointer}/description`, 'must be a string');
  const labels = item['labels'];
  if (labels !== undefined && (!Array.isArray(labels) || !labels.every((label) => typeof label === 'string')))
    before.report(`${pointer}/labels`, 'must be an array of strings');
  if (type === 'binary' && (description !== undefined || labels !== undefined)) {
    before.report(
      pointer,
      'a binary secret cannot carry `description` or `labels` (the Secrets API stores them with text secrets only)',
    );
  }
  for (const name of ['author', 'created', 'updated'] as const) {
    if (item[name] !== undefined && typeof item[name] !== 'string')
      before.report(`${pointer}/${name}`, 'must be a string');
  }

  if (before.count > 0 || typeof path !== 'string' || typeof key !== 'string' || bytes === undefined) return undefined;
  const fullPath = backupEntryPath({ path, key });
  if (options.checkPath !== undefined) {
    try {
      options.checkPath(fullPath);
    } catch (error) {
      if (!isSecretsAgentError(error)) throw error;
      report(`${pointer}/key`, error.message);
      return undefined;
    }
  }
  return {
    path,
    key,
    type: type as SecretType,
    bytes,
    ...(typeof description === 'string' ? { description } : {}),
    ...(Array.isArray(labels) ? { labels: labels as string[] } : {}),
    ...optionalString('author', item['author']),
    ...optionalString('created', item['created']),
    ...optionalString('updated', item['updated']),
  };
}

function readValue(
  value: unknown,
  type: unknown,
  pointer: string,
  options: ParseBackupOptions,
  report: Report,
): Uint8Array | undefined {
  if (typeof value !== 'string') {
    report(pointer, 'must be the value in base64 (a string)');
    return undefined;
  }
  if (!canonicalBase64.test(value)) {
    report(pointer, 'is not valid base64 (standard alphabet, padded)');
    return undefined;
  }
  const bytes = new Uint8Array(Buffer.from(value, 'base64'));
  if (options.maxValueBytes !== undefined && bytes.byteLength > options.maxValueBytes) {
    report(pointer, `decodes to ${bytes.byteLength} bytes; the limit is ${options.maxValueBytes}`);
    return undefined;
  }
  if (type === 'text' && !isUtf8(bytes)) {
    report(pointer, 'decodes to bytes that are not UTF-8, but `type` is `text` (store it as `binary`)');
    return undefined;
  }
  return bytes;
}

function countingReport(report: Report): { report: Report; readonly count: number } {
  let count = 0;
  return {
    report(pointer, problem) {
      count += 1;
      report(pointer, problem);
    },
    get count() {
      return count;
    },
  };
}

function decodeUtf8(bytes: Uint8Array, source: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new SecretsAgentError('ERR_INPUT_INVALID', `${source} is not UTF-8 text; expected a JSON backup file`, {
      details: { source },
      cause: error,
    });
  }
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

// `at line 3 column 7` from V8's `position N`, counted in the text (not quoted from it).
function describePosition(text: string, error: unknown): string {
  const match = error instanceof Error ? /position (\d+)/.exec(error.message) : null;
  if (match === null) return '';
  const offset = Number(match[1]);
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return ` (at line ${line} column ${column})`;
}

function optionalString<K extends string>(name: K, value: unknown): { [P in K]?: string } {
  return (typeof value === 'string' ? { [name]: value } : {}) as { [P in K]?: string };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapeToken(token: string): string {
  return token.replaceAll('~', '~0').replaceAll('/', '~1');
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}
