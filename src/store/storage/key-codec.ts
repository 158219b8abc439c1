// Storage key rules (shared by every backend) and the file backend's segment -> file name encoding.
//
// Encoding: a segment is percent-encoded over its UTF-8 bytes, keeping only [A-Za-z0-9._-] literal
// (so `%`, `~`, `\`, spaces and every non-ASCII byte are escaped and the mapping is injective and
// reversible). A value file is `v<encoded>`, a folder `d<encoded>`: the one-letter prefix keeps a
// value and its children apart (`a/b` and `a/b/c` coexist) and means no name is ever `.`, `..`,
// `LOCK` or a temp file. A name longer than a file name may be (255 bytes) becomes
// `v~<sha256 hex>` / `d~<sha256 hex>`; `~` never appears literally, so the two forms cannot meet.
// Names are case-sensitive: the directory must live on a case-sensitive file system (Linux).
import { createHash } from 'node:crypto';
import { SecretsAgentError } from '../../core/errors.js';

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const maxFileNameBytes = 255;

// Throws ERR_USAGE unless `key` follows the storage key rules in backend.ts.
export function assertStorageKey(key: unknown): asserts key is string {
  const problem = describeKeyProblem(key);
  if (problem !== undefined) throw invalidKey('key', key, problem);
}

// Throws ERR_USAGE unless `prefix` is '' (everything) or a valid key (a folder).
export function assertStoragePrefix(prefix: unknown): asserts prefix is string {
  if (prefix === '') return;
  const problem = describeKeyProblem(prefix);
  if (problem !== undefined) throw invalidKey('prefix', prefix, problem);
}

function describeKeyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return `must be a string, got ${typeof key}`;
  if (key === '') return 'must not be empty';
  if (key.includes('\0')) return 'must not contain NUL';
  if (loneSurrogate.test(key)) return 'must be well-formed UTF-16 (a lone surrogate cannot be stored)';
  for (const segment of key.split('/')) {
    if (segment === '') return 'has an empty segment (leading, trailing or double `/`)';
    if (segment === '.' || segment === '..') return `has a \`${segment}\` segment`;
  }
  return undefined;
}

function invalidKey(what: 'key' | 'prefix', key: unknown, problem: string): SecretsAgentError {
  const shown = typeof key === 'string' ? JSON.stringify(key) : typeof key;
  return new SecretsAgentError('ERR_USAGE', `storage ${what} ${shown} ${problem}`, { details: { storageKey: shown } });
}

// The path of a key's record file relative to the storage root, as its parts: folder names, then the value file name.
export function encodeKeyPath(key: string): { readonly folders: string[]; readonly file: string } {
  const segments = key.split('/');
  const last = segments.pop() as string;
  return { folders: segments.map((segment) => encodeName('d', segment)), file: encodeName('v', last) };
}

export type EncodedNameKind = 'value' | 'folder';

// What a directory entry's name stands for; undefined when it is not a name this codec produces.
// `segment` is undefined for hashed (long) names, whose segment only the record header knows.
export function decodeName(
  name: string,
): { readonly kind: EncodedNameKind; readonly segment: string | undefined } | undefined {
  const kind = name.startsWith('v') ? 'value' : name.startsWith('d') ? 'folder' : undefined;
  if (kind === undefined) return undefined;
  const rest = name.slice(1);
  if (/^~[0-9a-f]{64}$/.test(rest)) return { kind, segment: undefined };
  let segment: string;
  try {
    segment = decodeURIComponent(rest);
  } catch {
    return undefined;
  }
  // Only the canonical spelling counts, so every segment has exactly one name.
  if (
    segment === '' ||
    segment === '.' ||
    segment === '..' ||
    encodeName(kind === 'value' ? 'v' : 'd', segment) !== name
  )
    return undefined;
  return { kind, segment };
}

function encodeName(prefix: 'v' | 'd', segment: string): string {
  const name =
    prefix +
    encodeURIComponent(segment).replace(/[!'()*~]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
  if (name.length <= maxFileNameBytes) return name;
  return `${prefix}~${createHash('sha256').update(segment, 'utf8').digest('hex')}`;
}
