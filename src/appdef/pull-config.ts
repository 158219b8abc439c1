// Docker pull credentials (`pullConfig.secret`) are Marathon's to deliver, not ours; we only repeat
// Marathon's reference check so a definition it would refuse is refused here too.
import type { AppDefIssue } from './issues.js';
import { getOwn, isJsonObject } from './json-shape.js';
import type { SecretEntry } from './parse-secrets.js';

// Reports a pullConfig naming an undefined secret, at the pullConfig's pointer (as Marathon does).
export function reportPullConfigReference(
  pullConfig: unknown,
  pointer: string,
  secrets: ReadonlyMap<string, SecretEntry>,
  issues: AppDefIssue[],
): void {
  if (!isJsonObject(pullConfig)) return;
  const secret = getOwn(pullConfig, 'secret');
  if (typeof secret === 'string' && !secrets.has(secret)) {
    issues.push({ pointer, message: 'pullConfig.secret must refer to an existing secret' });
  }
}
