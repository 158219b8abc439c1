// The permission decision itself, over one account's grant index (see rid.ts for the rules).
import type { AccessAction } from '../http/access.js';
import type { GrantIndex } from './iam-mirror.js';
import { coveringRids, superuserRid } from './rid.js';

// True when `dcos:superuser` `full` is granted.
export function isSuperuser(grants: GrantIndex | undefined): boolean {
  return grants?.get(superuserRid)?.has('full') === true;
}

// Decisions remembered per grant index. The mirror builds a new index object whenever one of the
// account's grants changes, so a remembered decision can never outlive a grant or a revoke.
const decisions = new WeakMap<GrantIndex, Map<string, boolean>>();
const maxDecisionsPerIndex = 4096;

// True when some granted rid covers `rid` with `action` or with `full`.
export function isAllowed(grants: GrantIndex | undefined, rid: string, action: AccessAction): boolean {
  if (grants === undefined) return false;
  let remembered = decisions.get(grants);
  const key = `${action} ${rid}`;
  const known = remembered?.get(key);
  if (known !== undefined) return known;
  const allowed = decide(grants, rid, action);
  if (remembered === undefined) {
    remembered = new Map();
    decisions.set(grants, remembered);
  } else if (remembered.size >= maxDecisionsPerIndex) {
    remembered.clear();
  }
  remembered.set(key, allowed);
  return allowed;
}

function decide(grants: GrantIndex, rid: string, action: AccessAction): boolean {
  if (isSuperuser(grants)) return true;
  for (const candidate of coveringRids(rid)) {
    const actions = grants.get(candidate);
    if (actions !== undefined && (actions.has(action) || actions.has('full'))) return true;
  }
  return false;
}
