// Content negotiation of the Secrets API (docs/wire-formats.md#text-and-binary-secrets, docs/decisions.md#headers):
// the request Content-Type picks text (JSON) or binary (raw bytes); the Accept header picks the answer's form.
import { SecretsAgentError } from '../../core/errors.js';
import type { SecretType } from '../../core/secrets-api.js';

export const jsonMediaType = 'application/json';
export const binaryMediaType = 'application/octet-stream';

// Text (JSON body) or binary (raw body) from a PUT/PATCH Content-Type; none means JSON.
export function parseRequestContentType(header: string | undefined): SecretType {
  const media = header === undefined ? '' : (header.split(';')[0] ?? '').trim().toLowerCase();
  if (media === '' || media === jsonMediaType) return 'text';
  if (media === binaryMediaType) return 'binary';
  throw new SecretsAgentError(
    'ERR_CONTENT_TYPE_UNSUPPORTED',
    `Unsupported Content-Type header \`${clip(media)}\`: send ${jsonMediaType} or ${binaryMediaType}`,
  );
}

// Whether the request's Content-Type (if any) is JSON, for endpoints that only take JSON.
export function assertJsonContentType(header: string | undefined): void {
  if (parseRequestContentType(header) !== 'text') {
    throw new SecretsAgentError(
      'ERR_CONTENT_TYPE_UNSUPPORTED',
      `Unsupported Content-Type header: this endpoint takes ${jsonMediaType}`,
    );
  }
}

// The form of a GET answer: the stored form unless Accept prefers (or only allows) the other.
// A binary secret cannot be sent as JSON: ERR_ACCEPT_UNSUPPORTED.
export function chooseResponseType(accept: string | undefined, stored: SecretType, path: string): SecretType {
  if (accept === undefined || accept.trim() === '') return stored;
  const ranges = parseAccept(accept);
  const jsonQ = qualityOf(ranges, 'application', 'json');
  const binaryQ = qualityOf(ranges, 'application', 'octet-stream');
  if (stored === 'binary') {
    if (binaryQ > 0) return 'binary';
    if (jsonQ > 0) {
      throw new SecretsAgentError(
        'ERR_ACCEPT_UNSUPPORTED',
        `Secret \`${path}\` is binary and cannot be returned as JSON: send Accept: ${binaryMediaType}`,
        { details: { path } },
      );
    }
  } else {
    if (jsonQ > 0 && jsonQ >= binaryQ) return 'text';
    if (binaryQ > 0) return 'binary';
  }
  throw new SecretsAgentError(
    'ERR_ACCEPT_UNSUPPORTED',
    `Unsupported Accept header \`${clip(accept)}\`: accept ${jsonMediaType} or ${binaryMediaType}`,
  );
}

interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly q: number;
}

function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [media = '', ...params] = part.split(';');
    const [type = '', subtype = ''] = media.trim().toLowerCase().split('/');
    if (type === '' || subtype === '') continue;
    let q = 1;
    for (const param of params) {
      const [name = '', value = ''] = param.split('=');
      if (name.trim().toLowerCase() === 'q') {
        const parsed = Number(value.trim());
        q = Number.isFinite(parsed) ? Math.min(Math.max(parsed, 0), 1) : 0;
      }
    }
    ranges.push({ type, subtype, q });
  }
  return ranges;
}

// RFC 9110: the most specific matching range decides the quality; no match means 0.
function qualityOf(ranges: readonly MediaRange[], type: string, subtype: string): number {
  let best: { specificity: number; q: number } | undefined;
  for (const range of ranges) {
    const specificity =
      range.type === type && range.subtype === subtype
        ? 2
        : range.type === type && range.subtype === '*'
          ? 1
          : range.type === '*' && range.subtype === '*'
            ? 0
            : -1;
    if (specificity < 0) continue;
    if (best === undefined || specificity > best.specificity || (specificity === best.specificity && range.q > best.q))
      best = { specificity, q: range.q };
  }
  return best?.q ?? 0;
}

function clip(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 100 ? `${printable.slice(0, 100)}...` : printable;
}
