// Confines library paths under a base folder (`basePath: 'portworx'` → `portworx/<path>`).
// Anything that could climb out or be decoded into something else is refused before it is
// joined: absolute paths, `.`/`..`, empty segments, backslashes, percent-escapes (`..%2F..`),
// control characters.
import { hasControlCharacter } from '../core/control-characters.js';
import { SecretsAgentError } from '../core/errors.js';

// Checks and normalizes the base itself ('' or undefined: no confinement; one trailing `/` allowed).
export function parseBasePath(basePath: unknown): string {
  if (basePath === undefined || basePath === '') return '';
  if (typeof basePath !== 'string')
    throw new SecretsAgentError('ERR_USAGE', `Expected \`basePath\` to be a string, got a ${typeof basePath}`);
  const trimmed = basePath.endsWith('/') ? basePath.slice(0, -1) : basePath;
  assertRelativeSegments(trimmed, basePath, 'basePath');
  return trimmed;
}

// `base/path` for a caller's path; with `listing`, '' (the base itself) is allowed too.
export function confinePath(base: string, path: unknown, options: { listing?: boolean } = {}): string {
  if (typeof path !== 'string') throw invalid(String(path), 'it is not a string');
  if (options.listing === true && (path === '' || path === '/')) return base;
  const trimmed = options.listing === true && path.endsWith('/') ? path.slice(0, -1) : path;
  if (base === '') return trimmed;
  assertRelativeSegments(trimmed, path, 'path');
  return `${base}/${trimmed}`;
}

function assertRelativeSegments(path: string, original: string, what: 'path' | 'basePath'): void {
  const fail = (reason: string): never => {
    throw invalid(original, reason, what);
  };
  if (path === '') fail('it is empty');
  if (path.startsWith('/')) fail('it is absolute (starts with `/`)');
  if (path.includes('\\')) fail('it contains a backslash');
  if (path.includes('%')) fail('it contains `%` (percent-escapes could decode to `/` or `..` on the server)');
  if (hasControlCharacter(path)) fail('it contains a control character');
  for (const [index, segment] of path.split('/').entries()) {
    if (segment === '') fail(`segment ${index + 1} is empty (doubled \`/\`)`);
    if (segment === '.' || segment === '..') fail(`segment ${index + 1} \`${segment}\` would leave the base path`);
  }
}

function invalid(path: string, reason: string, what: 'path' | 'basePath' = 'path'): SecretsAgentError {
  const shown = JSON.stringify(path.length > 200 ? `${path.slice(0, 200)}...` : path).slice(1, -1);
  const subject = what === 'basePath' ? `basePath \`${shown}\`` : `Secret path \`${shown}\``;
  return new SecretsAgentError('ERR_SECRET_PATH_INVALID', `${subject} is invalid: ${reason}`, {
    details: { path: shown },
  });
}
