// Checks a `GET /status` answer against DaemonStatus. Fields the client does not know are kept
// (a newer daemon may add some); every known field must have its documented type.
import { SecretsAgentError } from '../core/errors.js';
import { storeFeeds, taskStates, type DaemonStatus } from './status-types.js';

type Check = (value: unknown, pointer: string, issues: string[]) => void;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const string: Check = (value, pointer, issues) => {
  if (typeof value !== 'string') issues.push(`${pointer}: must be a string`);
};
const count: Check = (value, pointer, issues) => {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    issues.push(`${pointer}: must be a non-negative integer`);
};
const integer: Check = (value, pointer, issues) => {
  if (typeof value !== 'number' || !Number.isInteger(value)) issues.push(`${pointer}: must be an integer`);
};
const oneOf =
  (allowed: readonly string[]): Check =>
  (value, pointer, issues) => {
    if (typeof value !== 'string' || !allowed.includes(value))
      issues.push(`${pointer}: must be one of ${allowed.join(', ')}`);
  };

function object(required: Record<string, Check>, optional: Record<string, Check> = {}): Check {
  return (value, pointer, issues) => {
    if (!isObject(value)) {
      issues.push(`${pointer}: must be an object`);
      return;
    }
    for (const [key, check] of Object.entries(required)) {
      if (!Object.hasOwn(value, key)) issues.push(`${pointer}/${key}: is required`);
      else check(value[key], `${pointer}/${key}`, issues);
    }
    for (const [key, check] of Object.entries(optional)) {
      if (Object.hasOwn(value, key) && value[key] !== undefined) check(value[key], `${pointer}/${key}`, issues);
    }
  };
}

function arrayOf(item: Check): Check {
  return (value, pointer, issues) => {
    if (!Array.isArray(value)) {
      issues.push(`${pointer}: must be an array`);
      return;
    }
    value.forEach((element, index) => item(element, `${pointer}/${index}`, issues));
  };
}

const ledgerEntry = object({ path: string, sha256: string, deliveredAt: string });
const taskStatus = object(
  { id: string, file: string, state: oneOf(taskStates), restarts: count, ledger: arrayOf(ledgerEntry) },
  {
    pid: count,
    lastExitCode: integer,
    lastStartAt: string,
    lastRotationAt: string,
    heldUntil: string,
    stale: object({ since: string, until: string }),
    lastError: string,
  },
);
const daemonStatus = object({
  version: string,
  startedAt: string,
  pid: count,
  store: object({ url: string, feed: oneOf(storeFeeds) }, { lastError: string }),
  token: object({ renewals: count }, { expiresAt: string, lastRenewalAt: string }),
  tasks: arrayOf(taskStatus),
});

// Narrows an untrusted /status answer to DaemonStatus or throws naming every bad field.
export function parseDaemonStatus(value: unknown): DaemonStatus {
  const issues: string[] = [];
  daemonStatus(value, '', issues);
  if (issues.length > 0) {
    const shown = issues.slice(0, 5).join('; ');
    throw new SecretsAgentError(
      'ERR_HTTP_UNEXPECTED',
      `the daemon's /status answer is not a daemon status: ${shown}${issues.length > 5 ? `; and ${issues.length - 5} more` : ''}`,
      {
        details: { issues },
      },
    );
  }
  return value as DaemonStatus;
}
