// Secret paths in URLs: checked for the shapes that would change meaning on the way (empty, `.`,
// `..` segments, a leading `/`), then percent-encoded segment by segment so `/` stays a separator
// and nothing else in a segment can act as one.
import { SecretsAgentError } from '../core/errors.js';

export interface EncodeSecretPathOptions {
  /** Allow '' (the store root) and one trailing `/`, for listings. */
  readonly listing?: boolean;
}

// Returns the encoded path (no leading `/`); ERR_SECRET_PATH_INVALID naming the bad part.
export function encodeSecretPath(path: unknown, options: EncodeSecretPathOptions = {}): string {
  if (typeof path !== 'string') throw invalid(String(typeof path), 'it is not a string');
  let candidate = path;
  if (options.listing === true) {
    if (candidate === '') return '';
    if (candidate.endsWith('/')) candidate = candidate.slice(0, -1);
  }
  if (candidate === '') throw invalid(path, 'the path is empty');
  if (candidate.startsWith('/')) throw invalid(path, 'it starts with `/` (secret paths are relative: `group/name`)');
  const segments = candidate.split('/');
  for (const [index, segment] of segments.entries()) {
    if (segment === '') throw invalid(path, `segment ${index + 1} is empty (doubled or trailing \`/\`)`);
    if (segment === '.' || segment === '..') throw invalid(path, `segment ${index + 1} \`${segment}\` is not allowed`);
  }
  return segments.map((segment) => encodeURIComponent(segment)).join('/');
}

function invalid(path: string, reason: string): SecretsAgentError {
  const shown = JSON.stringify(path.length > 200 ? `${path.slice(0, 200)}...` : path).slice(1, -1);
  return new SecretsAgentError('ERR_SECRET_PATH_INVALID', `Secret path \`${shown}\` is invalid: ${reason}`, {
    details: { path: shown },
  });
}
