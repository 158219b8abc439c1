// Secret paths (docs/decisions.md#paths): `/`-separated segments of [A-Za-z0-9._-]+, never `.` or
// `..`, no empty segment (so no leading, trailing or doubled `/`), at most 64 segments and
// 1024 bytes. In URLs the path may arrive percent-encoded (terraform sends `a%2Fb`).
import { SecretsAgentError } from '../core/errors.js';

export const maxSecretPathSegments = 64;
export const maxSecretPathBytes = 1024;

const segmentPattern = /^[A-Za-z0-9._-]+$/;
// The common path in one pass: allowed characters only (so bytes = characters), no empty segment.
const plainPathPattern = /^[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*$/;
const dotSegmentPattern = /(?:^|\/)\.\.?(?:\/|$)/;
// Fewer characters than this cannot hold more than maxSecretPathSegments segments.
const minCharsForTooManySegments = 2 * maxSecretPathSegments + 1;

export interface ParseSecretPathOptions {
  /** Allow '' (the root), for listing. */
  readonly allowRoot?: boolean;
  /** Ignore one trailing `/` (`folder/?list=true`), for listing. */
  readonly allowTrailingSlash?: boolean;
}

// Checks a decoded secret path and returns it; throws ERR_SECRET_PATH_INVALID naming the bad segment.
export function parseSecretPath(path: string, options: ParseSecretPathOptions = {}): string {
  let candidate = path;
  if (options.allowTrailingSlash === true && candidate.endsWith('/') && candidate !== '/')
    candidate = candidate.slice(0, -1);
  if (candidate === '') {
    if (options.allowRoot === true) return '';
    throw invalid(path, 'the path is empty');
  }
  if (isPlainPath(candidate)) return candidate;
  // Something is off (or unusual): check piece by piece, so the error names what.
  const bytes = Buffer.byteLength(candidate, 'utf8');
  if (bytes > maxSecretPathBytes) throw invalid(path, `it has ${bytes} bytes, more than ${maxSecretPathBytes}`);
  const segments = candidate.split('/');
  if (segments.length > maxSecretPathSegments)
    throw invalid(path, `it has ${segments.length} segments, more than ${maxSecretPathSegments}`);
  for (const [index, segment] of segments.entries()) {
    const problem = describeSegmentProblem(segment);
    if (problem !== undefined)
      throw invalid(path, `segment ${index + 1} ${quote(segment)} ${problem}`, { segment, segmentIndex: index });
  }
  return candidate;
}

// Decodes the raw (percent-encoded) path from a URL, then checks it like parseSecretPath. One
// leading `/` (after decoding) is dropped: the Terraform provider sends `default/%2Fapp%2Fkey` and
// `default//app/key` for `app/key` (issue 12.11). Two leading slashes, like any empty segment,
// are still refused, and every rule is checked on what remains, so callers build rids from it.
export function parseSecretPathParam(raw: string, options: ParseSecretPathOptions = {}): string {
  let decoded = raw;
  try {
    // Without a `%` there is nothing to decode (and nothing that can fail to decode).
    if (raw.includes('%')) decoded = decodeURIComponent(raw);
  } catch (error) {
    throw new SecretsAgentError(
      'ERR_SECRET_PATH_INVALID',
      `Secret path ${quote(raw)} is invalid: it has a malformed percent-escape`,
      {
        details: { path: clip(raw) },
        cause: error,
      },
    );
  }
  if (decoded.startsWith('/') && !decoded.startsWith('//')) decoded = decoded.slice(1);
  else if (decoded.startsWith('//')) throw invalid(decoded, 'it starts with `//`: send at most one leading `/`');
  return parseSecretPath(decoded, options);
}

// True when every rule holds, checked without splitting (this runs twice per secret request).
function isPlainPath(path: string): boolean {
  if (path.length > maxSecretPathBytes || !plainPathPattern.test(path) || dotSegmentPattern.test(path)) return false;
  return path.length < minCharsForTooManySegments || countSegments(path) <= maxSecretPathSegments;
}

function countSegments(path: string): number {
  let count = 1;
  for (let index = path.indexOf('/'); index !== -1; index = path.indexOf('/', index + 1)) count += 1;
  return count;
}

function describeSegmentProblem(segment: string): string | undefined {
  if (segment === '') return 'is empty (leading, trailing or doubled `/`)';
  if (segment === '.' || segment === '..') return 'is not allowed';
  if (!segmentPattern.test(segment)) return 'has characters outside [A-Za-z0-9._-]';
  return undefined;
}

function invalid(path: string, reason: string, details: Record<string, unknown> = {}): SecretsAgentError {
  return new SecretsAgentError('ERR_SECRET_PATH_INVALID', `Secret path ${quote(path)} is invalid: ${reason}`, {
    details: { path: clip(path), ...details },
  });
}

// Paths are not secret, but they are untrusted: quote them, cut them short.
function quote(text: string): string {
  return `\`${JSON.stringify(clip(text)).slice(1, -1)}\``;
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
