// Resource ids (rids) of the IAM and how a requested rid is matched against granted ones
// (docs/decisions.md#rid-matching):
// - `dcos:secrets:<store>:/a/b` covers exactly secret `a/b`; `dcos:secrets:<store>:/a/*` covers every
//   secret below folder `a` (any depth); `dcos:secrets:<store>:/*` covers every secret.
// - `dcos:secrets:list:<store>:/Q` covers listing folder Q and every folder below it; `/` is the root.
//   A trailing `/*` on a list rid (as in the edge-lb docs) means the same as without it.
// - The leading `/` after the store is optional; rids are compared in their normalized form.
// - Any other rid (`dcos:superuser`, `dcos:adminrouter:...`) matches only itself.
import { SecretsAgentError } from '../../core/errors.js';

export const superuserRid = 'dcos:superuser';
export const maxRidChars = 1200;

const ridPattern = /^[A-Za-z0-9:/_.*@-]+$/;
const listPrefixPattern = /^dcos:secrets:list:([A-Za-z0-9_-]+):(.*)$/;
const secretPrefixPattern = /^dcos:secrets:([A-Za-z0-9_-]+):(.*)$/;

export type ParsedRid =
  | {
      readonly kind: 'secret';
      readonly store: string;
      readonly segments: readonly string[];
      readonly wildcard: boolean;
    }
  | { readonly kind: 'list'; readonly store: string; readonly segments: readonly string[] }
  | { readonly kind: 'other'; readonly rid: string };

// Checks the characters and length of a rid from an API request or the CLI; throws ERR_INPUT_INVALID.
export function assertRid(rid: string): void {
  if (rid.length === 0 || rid.length > maxRidChars) {
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `Expected rid to have 1 to ${maxRidChars} characters, got ${rid.length}`,
    );
  }
  if (!ridPattern.test(rid)) {
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `rid \`${rid.slice(0, 200)}\` has characters outside [A-Za-z0-9:/_.*@-]`,
    );
  }
}

// Splits a rid into the parts matching looks at.
export function parseRid(rid: string): ParsedRid {
  const list = listPrefixPattern.exec(rid);
  if (list !== null) {
    const segments = splitPath(list[2] ?? '');
    // `/x/*` and `/*` on a list rid mean the folder itself (and, as always, everything below).
    if (segments.at(-1) === '*') segments.pop();
    return { kind: 'list', store: list[1] ?? '', segments };
  }
  const secret = secretPrefixPattern.exec(rid);
  if (secret !== null) {
    const segments = splitPath(secret[2] ?? '');
    const wildcard = segments.at(-1) === '*';
    if (wildcard) segments.pop();
    return { kind: 'secret', store: secret[1] ?? '', segments, wildcard };
  }
  return { kind: 'other', rid };
}

// The canonical spelling of a rid: leading `/` after the store, no empty segments, list `/*` dropped.
export function normalizeRid(rid: string): string {
  return formatRid(parseRid(rid));
}

// Writes a parsed rid back in its normalized spelling.
export function formatRid(parsed: ParsedRid): string {
  switch (parsed.kind) {
    case 'list':
      return `dcos:secrets:list:${parsed.store}:/${parsed.segments.join('/')}`;
    case 'secret': {
      const path = parsed.wildcard ? [...parsed.segments, '*'] : parsed.segments;
      return `dcos:secrets:${parsed.store}:/${path.join('/')}`;
    }
    case 'other':
      return parsed.rid;
  }
}

// Every normalized granted rid that would cover the requested rid: the exact rid plus, for secrets,
// the `/*` rid of each ancestor folder, and for listings, the list rid of each ancestor folder.
export function coveringRids(requested: string): string[] {
  const parsed = parseRid(requested);
  switch (parsed.kind) {
    case 'secret': {
      if (parsed.wildcard) return [formatRid(parsed)];
      const candidates = [formatRid(parsed)];
      for (let depth = 0; depth < parsed.segments.length; depth += 1) {
        candidates.push(
          formatRid({ kind: 'secret', store: parsed.store, segments: parsed.segments.slice(0, depth), wildcard: true }),
        );
      }
      return candidates;
    }
    case 'list': {
      const candidates: string[] = [];
      for (let depth = 0; depth <= parsed.segments.length; depth += 1) {
        candidates.push(formatRid({ kind: 'list', store: parsed.store, segments: parsed.segments.slice(0, depth) }));
      }
      return candidates;
    }
    case 'other':
      return [parsed.rid];
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}
