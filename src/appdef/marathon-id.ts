// Marathon app and pod ids (`/group/app`): the space rule compares their segments, so `.`, `..`
// and empty segments, which would let `/group/../other` pass for `/group/...`, are refused.
import { quoteText } from './describe-json.js';

/** Marathon's PathId segment rule: lowercase letters, digits, `-`, and `.` between labels. */
const segmentPattern = /^(([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])$/;

export type MarathonIdResult =
  { readonly ok: true; readonly segments: readonly string[] } | { readonly ok: false; readonly problem: string };

// Splits an id (leading `/` optional) into its segments, or says what is wrong with it.
export function parseMarathonIdSegments(id: string): MarathonIdResult {
  const body = id.startsWith('/') ? id.slice(1) : id;
  if (body === '') return { ok: false, problem: 'must name an app or pod, not the root group' };
  const segments = body.split('/');
  for (const [index, segment] of segments.entries()) {
    if (segment === '') return { ok: false, problem: `segment ${index + 1} is empty (trailing or doubled "/")` };
    if (!segmentPattern.test(segment)) {
      return {
        ok: false,
        problem: `segment ${index + 1} ${quoteText(segment)} must be lowercase letters, digits and "-", with "." only between labels`,
      };
    }
  }
  return { ok: true, segments };
}

// The canonical absolute form (`/group/app`) of valid segments.
export function formatMarathonId(segments: readonly string[]): string {
  return `/${segments.join('/')}`;
}
