// Options of the ZooKeeper storage backend: what callers pass, and the validated, frozen config.
import { SecretsAgentError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { describeValue } from '../../config/describe-value.js';
import { maxValueBytes } from './backend.js';
import { parseZkRootPath } from './zk-path.js';
import { zkRecordOverheadBytes } from './zk-record.js';

export interface ZooKeeperBackendOptions {
  /** `host:port[,host:port...]`, e.g. `zk1:2181,zk2:2181,zk3:2181`. */
  readonly connectionString: string;
  /** Absolute znode path that holds this store, e.g. `/secrets-agent` (created if missing). */
  readonly rootPath: string;
  /** `user:password` for ZooKeeper digest auth; every znode created gets a creator-only ACL. */
  readonly auth?: string | undefined;
  /** Requested session timeout; default 20 000 (the server clamps it to [2, 20] ticks unless configured). */
  readonly sessionTimeoutMs?: number | undefined;
  /** Deadline for one storage call, retries and reconnect waits included; default 10 000. */
  readonly operationTimeoutMs?: number | undefined;
  /** The servers' `jute.maxbuffer` (bytes); default 4 MiB. Must fit the largest value plus framing. */
  readonly juteMaxBufferBytes?: number | undefined;
  readonly log: Logger;
}

export interface ZooKeeperBackendConfig {
  readonly connectionString: string;
  readonly rootPath: string;
  readonly auth: string | undefined;
  readonly sessionTimeoutMs: number;
  readonly operationTimeoutMs: number;
  readonly juteMaxBufferBytes: number;
  readonly log: Logger;
}

export const defaultSessionTimeoutMs = 20_000;
export const defaultOperationTimeoutMs = 10_000;
export const defaultJuteMaxBufferBytes = 4 * 1024 * 1024;
/** Room for the request framing (headers, the znode path) around the largest record. */
const framingAllowanceBytes = 64 * 1024;

// Validates caller options into a complete, frozen config; throws ERR_CONFIG_INVALID naming the option.
export function resolveZooKeeperBackendOptions(options: ZooKeeperBackendOptions): ZooKeeperBackendConfig {
  const connectionString = parseConnectionString(options.connectionString);
  const rootPath = parseZkRootPath(options.rootPath);
  const auth = options.auth;
  if (auth !== undefined && (typeof auth !== 'string' || !/^[^:]+:.+$/s.test(auth))) {
    // Never echo the value: it holds a password.
    throw invalid('Expected `auth` to be `user:password` for ZooKeeper digest auth (value not shown)');
  }
  const sessionTimeoutMs = integerOption(
    'sessionTimeoutMs',
    options.sessionTimeoutMs,
    defaultSessionTimeoutMs,
    1_000,
    600_000,
  );
  const operationTimeoutMs = integerOption(
    'operationTimeoutMs',
    options.operationTimeoutMs,
    defaultOperationTimeoutMs,
    100,
    600_000,
  );
  const juteMaxBufferBytes = integerOption(
    'juteMaxBufferBytes',
    options.juteMaxBufferBytes,
    defaultJuteMaxBufferBytes,
    1,
    2 ** 31 - 1,
  );
  const neededBytes = maxValueBytes + zkRecordOverheadBytes + framingAllowanceBytes;
  if (juteMaxBufferBytes < neededBytes) {
    throw invalid(
      `Expected \`juteMaxBufferBytes\` to be at least ${neededBytes} (a ${maxValueBytes}-byte value plus framing; run the servers with -Djute.maxbuffer=${defaultJuteMaxBufferBytes}), got ${juteMaxBufferBytes}`,
    );
  }
  if (typeof options.log !== 'object' || options.log === null)
    throw invalid(`Expected \`log\` to be a logger, got ${describeValue(options.log)}`);
  return Object.freeze({
    connectionString,
    rootPath,
    auth,
    sessionTimeoutMs,
    operationTimeoutMs,
    juteMaxBufferBytes,
    log: options.log,
  });
}

function parseConnectionString(value: unknown): string {
  const hostPort = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
  if (
    typeof value === 'string' &&
    value !== '' &&
    value.split(',').every((part) => {
      const match = hostPort.exec(part);
      return match !== null && Number(match[2]) > 0 && Number(match[2]) < 65_536;
    })
  ) {
    return value;
  }
  throw invalid(
    `Expected \`connectionString\` to be \`host:port[,host:port...]\` (no chroot: use \`rootPath\`), got ${describeValue(value)}`,
  );
}

function integerOption(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max) return value;
  throw invalid(`Expected \`${name}\` to be an integer from ${min} to ${max}, got ${describeValue(value)}`);
}

function invalid(message: string): SecretsAgentError {
  return new SecretsAgentError('ERR_CONFIG_INVALID', message);
}
