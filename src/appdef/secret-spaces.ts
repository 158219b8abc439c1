// Spaces (docs/wire-formats.md#spaces, docs/decisions.md#spaces): a secret in folder D may go to the app with id S
// only if D is empty or D's segments are a leading prefix of S's (`hdfs/secret` -> `/hdfs`: yes;
// `group/secret` -> `/marathon-user/service`: no). Segments, not characters: `hdfs` is no prefix of `/hdfs2`.
import { SecretsAgentError } from '../core/errors.js';
import { quoteText } from './describe-json.js';
import { parseMarathonIdSegments } from './marathon-id.js';
import type { DeliveryPlan } from './types.js';

export interface SpaceViolation {
  readonly secretPath: string;
  /** The secret's folder (`group` for `group/secret`). */
  readonly folder: string;
  readonly appId: string | undefined;
  /** Where the plan uses the secret (`/env/DB_PASSWORD`, `/container/volumes/0/containerPath`). */
  readonly pointers: readonly string[];
}

// True when the app with `appId` (undefined: none) may read the secret at `secretPath`.
export function isSecretInSpace(secretPath: string, appId: string | undefined): boolean {
  const folder = secretPath.split('/').slice(0, -1);
  if (folder.length === 0) return true;
  const app = appIdSegments(appId);
  return folder.length <= app.length && folder.every((segment, index) => segment === app[index]);
}

// Lists every secret of the plan outside the app's space (one entry per path).
export function validateSecretSpaces(appId: string | undefined, plan: DeliveryPlan): SpaceViolation[] {
  appIdSegments(appId);
  const violations: SpaceViolation[] = [];
  for (const secretPath of plan.secretPaths) {
    if (isSecretInSpace(secretPath, appId)) continue;
    const pointers = [...plan.env, ...plan.files]
      .filter((use) => use.sourcePath === secretPath)
      .map((use) => use.pointer);
    violations.push({ secretPath, folder: secretPath.split('/').slice(0, -1).join('/'), appId, pointers });
  }
  return violations;
}

// Throws ERR_SECRET_SPACE_DENIED naming each secret path outside the app's space and the app id.
export function assertSecretSpaces(appId: string | undefined, plan: DeliveryPlan): void {
  const violations = validateSecretSpaces(appId, plan);
  if (violations.length === 0) return;
  const lines = violations.map(
    (violation) =>
      `Secret ${quoteText(violation.secretPath)} (used at ${violation.pointers.join(', ')}) is outside the space of ${describeApp(appId)}: ` +
      `its folder ${quoteText(violation.folder)} ${appId === undefined ? 'needs an app id' : 'is not a leading part of the app id'}`,
  );
  const hint =
    'only secrets at the root or in a folder that leads the app id (`/group/app` may read `group/...`) are allowed';
  throw new SecretsAgentError('ERR_SECRET_SPACE_DENIED', `${lines.join('\n')}\n(${hint})`, {
    details: {
      appId,
      violations: violations.map((violation) => ({ ...violation, pointers: [...violation.pointers] })),
    },
  });
}

function describeApp(appId: string | undefined): string {
  return appId === undefined ? 'an app without an id' : `app ${quoteText(appId)}`;
}

// Ids also arrive from outside a definition (MARATHON_APP_ID), so they are checked here too.
function appIdSegments(appId: string | undefined): readonly string[] {
  if (appId === undefined) return [];
  const parsed = parseMarathonIdSegments(appId);
  if (parsed.ok) return parsed.segments;
  throw new SecretsAgentError('ERR_INPUT_INVALID', `App id ${quoteText(appId)} is invalid: ${parsed.problem}`, {
    details: { appId },
  });
}
