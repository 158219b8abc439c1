// What `GET /status` on the daemon's socket returns, and where that socket lives by default.
// Status carries names, paths, times and content hashes; never a secret value or a token.
import { join } from 'node:path';

export const taskStates = ['starting', 'running', 'backoff', 'held', 'stopping', 'stopped', 'failed'] as const;
export type TaskState = (typeof taskStates)[number];

export const storeFeeds = ['change-feed', 'poll', 'unsupported'] as const;
export type StoreFeed = (typeof storeFeeds)[number];

/** One secret file or variable a task was given: its store path and a hash of the value. */
export interface LedgerEntry {
  readonly path: string;
  /** Hex SHA-256 of the delivered value. */
  readonly sha256: string;
  /** ISO 8601. */
  readonly deliveredAt: string;
}

export interface TaskStatus {
  /** Marathon app or pod id of the definition. */
  readonly id: string;
  /** Definition file the task comes from. */
  readonly file: string;
  readonly state: TaskState;
  readonly pid?: number;
  readonly restarts: number;
  readonly lastExitCode?: number;
  /** ISO 8601 times. */
  readonly lastStartAt?: string;
  readonly lastRotationAt?: string;
  /** While held back after repeated failures: when the next start is attempted. */
  readonly heldUntil?: string;
  /** While running on last-known-good values during a store outage. */
  readonly stale?: { readonly since: string; readonly until: string };
  /** `CODE: message` of the last failure; messages never carry values. */
  readonly lastError?: string;
  readonly ledger: readonly LedgerEntry[];
}

export interface DaemonStatus {
  readonly version: string;
  /** ISO 8601. */
  readonly startedAt: string;
  readonly pid: number;
  readonly store: {
    readonly url: string;
    readonly feed: StoreFeed;
    readonly lastError?: string;
  };
  readonly token: {
    /** ISO 8601; absent before the first login. */
    readonly expiresAt?: string;
    readonly renewals: number;
    readonly lastRenewalAt?: string;
  };
  readonly tasks: readonly TaskStatus[];
}

export interface StatusSocketInputs {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default process.getuid(). */
  readonly uid?: number;
}

export const statusSocketName = 'daemon.sock';

// The daemon's status socket: /run/secrets-agent/daemon.sock for root, else under
// $XDG_RUNTIME_DIR (a per-user 0700 tmpfs), else under /tmp in a per-uid directory.
export function defaultStatusSocket(inputs: StatusSocketInputs = {}): string {
  const uid = inputs.uid ?? process.getuid?.() ?? -1;
  if (uid === 0) return join('/run/secrets-agent', statusSocketName);
  const runtimeDir = inputs.env?.['XDG_RUNTIME_DIR'];
  if (runtimeDir !== undefined && runtimeDir.startsWith('/'))
    return join(runtimeDir, 'secrets-agent', statusSocketName);
  return join('/tmp', `secrets-agent-${uid}`, statusSocketName);
}
