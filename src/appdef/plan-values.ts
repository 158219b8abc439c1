// Checks that need the fetched secrets' types: a binary secret cannot become an environment
// variable (environments carry text). Only the type is looked at, never the value.
import type { SecretType } from '../core/secrets-api.js';
import { quoteText } from './describe-json.js';
import { assertNoAppDefIssues, type AppDefIssue } from './issues.js';
import type { DeliveryPlan } from './types.js';

export interface FetchedSecretInfo {
  readonly type: SecretType;
}

// Lists every env var fed by a binary secret, with its pointer; absent paths are not checked.
export function validatePlanValues(plan: DeliveryPlan, fetched: ReadonlyMap<string, FetchedSecretInfo>): AppDefIssue[] {
  const issues: AppDefIssue[] = [];
  for (const variable of plan.env) {
    if (fetched.get(variable.sourcePath)?.type !== 'binary') continue;
    issues.push({
      pointer: variable.pointer,
      message: `secret ${quoteText(variable.secretName)} (source ${quoteText(variable.sourcePath)}) is binary and cannot be an environment variable; deliver it as a file`,
    });
  }
  return issues;
}

// Throws ERR_APPDEF_INVALID when any env var would be fed by a binary secret.
export function assertPlanAcceptsValues(plan: DeliveryPlan, fetched: ReadonlyMap<string, FetchedSecretInfo>): void {
  assertNoAppDefIssues(
    validatePlanValues(plan, fetched),
    `${plan.kind === 'pod' ? 'Pod' : 'App'} definition cannot be delivered`,
  );
}
