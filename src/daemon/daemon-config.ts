// The daemon's settings: defaults < --config file < environment < flags (src/config/load-config),
// turned into complete, frozen values with units. SIGHUP re-reads the file through the same path;
// an invalid file throws here and the caller keeps the settings it has.
import { loadConfig } from '../config/load-config.js';
import type { OptionSpecs } from '../config/option-spec.js';
import { parseDurationMs, parseRate, type Rate } from '../core/duration.js';

const duration = (value: unknown): string | undefined =>
  typeof value === 'string' && parseDurationMs(value) !== undefined
    ? undefined
    : 'Expected a duration such as `500ms`, `60s`, `10m` or `1h`';
const positive = (value: unknown): string | undefined =>
  typeof value === 'number' && value >= 1 ? undefined : 'Expected an integer of at least 1';

export const daemonOptionSpecs = {
  appsDir: {
    type: 'string',
    env: 'SECRETS_AGENT_APPS_DIR',
    description: 'Directory of app/pod definition files (*.json), one task each',
  },
  statusSocket: { type: 'string', env: 'SECRETS_AGENT_STATUS_SOCKET', description: 'Unix socket of the status API' },
  metricsListen: {
    env: 'SECRETS_AGENT_METRICS_LISTEN',
    type: 'string',
    description: 'HOST:PORT serving /metrics over TCP (off by default)',
  },
  sandboxRoot: {
    env: 'SECRETS_AGENT_SANDBOX_ROOT',
    type: 'string',
    description: 'Parent of the per-task working directories (default <state-dir>/tasks)',
  },
  secretRoot: {
    env: 'SECRETS_AGENT_SECRET_ROOT',
    type: 'string',
    description: 'Parent of the per-task secret tmpfs directories',
  },
  allowDisk: {
    env: 'SECRETS_AGENT_ALLOW_DISK',
    type: 'boolean',
    default: false,
    description: 'Accept a disk-backed secret root',
  },
  pgpKeyFile: {
    env: 'SECRETS_AGENT_PGP_KEY_FILE',
    type: 'string',
    description: "Node's OpenPGP private key: values that are OpenPGP messages are decrypted with it",
  },
  pgpPassphraseFile: {
    env: 'SECRETS_AGENT_PGP_PASSPHRASE_FILE',
    type: 'string',
    description: 'File holding the passphrase of the node key (--pgp-key-file)',
  },
  pollInterval: {
    env: 'SECRETS_AGENT_POLL_INTERVAL',
    type: 'string',
    default: '60s',
    check: duration,
    description: 'Re-read interval when the store has no change feed',
  },
  changeFeed: {
    env: 'SECRETS_AGENT_CHANGE_FEED',
    type: 'boolean',
    default: true,
    description: "Use the store's change feed when it has one (false: always poll)",
  },
  changeWait: {
    env: 'SECRETS_AGENT_CHANGE_WAIT',
    type: 'string',
    default: '60s',
    check: duration,
    description: 'Long-poll wait of the change feed',
  },
  maxConcurrentFetches: {
    env: 'SECRETS_AGENT_MAX_CONCURRENT_FETCHES',
    type: 'integer',
    default: 16,
    check: positive,
    description: 'Secret reads in flight at once, node-wide',
  },
  fetchTimeout: {
    env: 'SECRETS_AGENT_FETCH_TIMEOUT',
    type: 'string',
    default: '30s',
    check: duration,
    description: "Deadline for resolving one task's secrets",
  },
  restartBudget: {
    env: 'SECRETS_AGENT_RESTART_BUDGET',
    type: 'string',
    default: '10/min',
    check: (value) =>
      typeof value === 'string' && parseRate(value) !== undefined
        ? undefined
        : 'Expected `N/s`, `N/min`, `N/h` or `unlimited`',
    description: 'Node-wide restarts caused by secret rotation',
  },
  lastKnownGood: {
    env: 'SECRETS_AGENT_LAST_KNOWN_GOOD',
    type: 'string',
    default: '0s',
    check: duration,
    description: 'How long a restarting task may reuse its previous values during a store outage (0: never)',
  },
  killTimeout: {
    env: 'SECRETS_AGENT_KILL_TIMEOUT',
    type: 'string',
    default: '10s',
    check: duration,
    description: 'Grace period between SIGTERM and SIGKILL',
  },
  restartDelay: {
    env: 'SECRETS_AGENT_RESTART_DELAY',
    type: 'string',
    default: '1s',
    check: duration,
    description: 'First delay before restarting a task that exited; doubles per quick failure',
  },
  restartDelayMax: {
    env: 'SECRETS_AGENT_RESTART_DELAY_MAX',
    type: 'string',
    default: '60s',
    check: duration,
    description: 'Ceiling of the restart delay',
  },
  minUptime: {
    env: 'SECRETS_AGENT_MIN_UPTIME',
    type: 'string',
    default: '10s',
    check: duration,
    description: 'A task that ran this long before exiting counts as healthy again',
  },
  holdAfter: {
    env: 'SECRETS_AGENT_HOLD_AFTER',
    type: 'integer',
    default: 5,
    check: positive,
    description: 'Quick failures in a row after which a task is held back',
  },
  holdFor: {
    env: 'SECRETS_AGENT_HOLD_FOR',
    type: 'string',
    default: '10m',
    check: duration,
    description: 'How long a held task waits before one more try',
  },
  debounce: {
    env: 'SECRETS_AGENT_DEBOUNCE',
    type: 'string',
    default: '200ms',
    check: duration,
    description: 'Quiet time before a changed definition file is read',
  },
} as const satisfies OptionSpecs;

export type DaemonFlags = Partial<Record<keyof typeof daemonOptionSpecs, string | number | boolean | undefined>>;

export interface DaemonSettings {
  readonly appsDir: string;
  readonly statusSocket: string | undefined;
  readonly metricsListen: string | undefined;
  readonly sandboxRoot: string | undefined;
  readonly secretRoot: string | undefined;
  readonly allowDisk: boolean;
  readonly pgpKeyFile: string | undefined;
  readonly pgpPassphraseFile: string | undefined;
  readonly pollIntervalMs: number;
  readonly changeFeed: boolean;
  readonly changeWaitMs: number;
  readonly maxConcurrentFetches: number;
  readonly fetchTimeoutMs: number;
  /** undefined: no budget. */
  readonly restartBudget: Rate | undefined;
  readonly lastKnownGoodMs: number;
  readonly killTimeoutMs: number;
  readonly restartDelayMs: number;
  readonly restartDelayMaxMs: number;
  readonly minUptimeMs: number;
  readonly holdAfter: number;
  readonly holdForMs: number;
  readonly debounceMs: number;
}

/** Settings SIGHUP cannot change: they name things already opened (the node key is read once, at start). */
export const fixedSettings = [
  'appsDir',
  'statusSocket',
  'metricsListen',
  'sandboxRoot',
  'secretRoot',
  'pgpKeyFile',
  'pgpPassphraseFile',
] as const;

export interface LoadDaemonSettingsOptions {
  readonly file?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly flags?: DaemonFlags;
}

// Loads and validates every setting at once; ERR_CONFIG_INVALID lists each problem with its source.
export function loadDaemonSettings(options: LoadDaemonSettingsOptions): DaemonSettings {
  const config = loadConfig({
    specs: daemonOptionSpecs,
    file: options.file,
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.flags === undefined ? {} : { flags: options.flags }),
  });
  const ms = (text: string): number => parseDurationMs(text) as number;
  const rate = parseRate(config.restartBudget);
  return Object.freeze({
    appsDir: config.appsDir ?? '',
    statusSocket: config.statusSocket,
    metricsListen: config.metricsListen,
    sandboxRoot: config.sandboxRoot,
    secretRoot: config.secretRoot,
    allowDisk: config.allowDisk,
    pgpKeyFile: config.pgpKeyFile,
    pgpPassphraseFile: config.pgpPassphraseFile,
    pollIntervalMs: Math.max(1, ms(config.pollInterval)),
    changeFeed: config.changeFeed,
    changeWaitMs: Math.max(1000, ms(config.changeWait)),
    maxConcurrentFetches: config.maxConcurrentFetches,
    fetchTimeoutMs: Math.max(1, ms(config.fetchTimeout)),
    restartBudget: rate === 'unlimited' ? undefined : rate,
    lastKnownGoodMs: ms(config.lastKnownGood),
    killTimeoutMs: ms(config.killTimeout),
    restartDelayMs: ms(config.restartDelay),
    restartDelayMaxMs: Math.max(ms(config.restartDelay), ms(config.restartDelayMax)),
    minUptimeMs: ms(config.minUptime),
    holdAfter: config.holdAfter,
    holdForMs: ms(config.holdFor),
    debounceMs: ms(config.debounce),
  });
}
