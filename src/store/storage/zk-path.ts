// Where a storage key lives in ZooKeeper: one znode per key segment under `<rootPath>/data`.
// A segment is percent-encoded over its UTF-8 bytes, keeping only [A-Za-z0-9._-] literal, so a
// znode name never holds `/`, NUL, control or non-ASCII characters (which ZooKeeper rejects or
// mangles) and the mapping is injective and reversible. Key rules themselves are key-codec.ts's.
import { SecretsAgentError } from '../../core/errors.js';
import { describeValue } from '../../config/describe-value.js';

// Encodes one key segment as a znode name.
export function encodeZkSegment(segment: string): string {
  return encodeURIComponent(segment).replace(
    /[!'()*~]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

// The key segment a znode name stands for; undefined for names this encoding never produces.
export function decodeZkSegment(name: string): string | undefined {
  let segment: string;
  try {
    segment = decodeURIComponent(name);
  } catch {
    return undefined;
  }
  if (segment === '' || segment === '.' || segment === '..' || encodeZkSegment(segment) !== name) return undefined;
  return segment;
}

// The znode path of `key` below `dataPath` ('' is `dataPath` itself).
export function zkPathOfKey(dataPath: string, key: string): string {
  return key === '' ? dataPath : `${dataPath}/${key.split('/').map(encodeZkSegment).join('/')}`;
}

// The parent key of `key` ('' for a top-level key).
export function parentKeyOf(key: string): string {
  const slash = key.lastIndexOf('/');
  return slash === -1 ? '' : key.slice(0, slash);
}

// `key` extended by one segment.
export function childKeyOf(parentKey: string, segment: string): string {
  return parentKey === '' ? segment : `${parentKey}/${segment}`;
}

// Checks a ZooKeeper root path such as `/secrets-agent` (absolute, no empty or relative segments, printable ASCII).
export function parseZkRootPath(value: unknown): string {
  if (
    typeof value !== 'string' ||
    !/^(\/[\x21-\x2e\x30-\x7e]+)+$/.test(value) ||
    value.split('/').some((segment) => segment === '.' || segment === '..') ||
    value === '/zookeeper' ||
    value.startsWith('/zookeeper/')
  ) {
    throw new SecretsAgentError(
      'ERR_CONFIG_INVALID',
      `Expected \`rootPath\` to be an absolute ZooKeeper path such as \`/secrets-agent\` (no trailing \`/\`, not under /zookeeper), got ${describeValue(value)}`,
    );
  }
  return value;
}
