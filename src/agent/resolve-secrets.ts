// Fetches every secret a plan needs: each distinct path once, concurrently (bounded), with
// jittered retries for retryable failures only (5xx, unreachable, sealed), all within one total
// deadline. Fails closed: any required path that cannot be read ends the whole resolution with
// one error naming that path, never a value. Shared by `run` and the daemon.
import { setMaxListeners } from 'node:events';
import type { DeliveryPlan } from '../appdef/index.js';
import { retryWithBackoff, type RetryOptions } from '../client/retry.js';
import { SecretsAgentError, isSecretsAgentError, toSecretsAgentError } from '../core/errors.js';
import { loadCrypto } from '../core/lazy-builtins.js';
import type { Logger } from '../core/log.js';
import type { BatchReadOutcome, SecretRecord, SecretSource } from '../core/secrets-api.js';
import { mapWithConcurrency } from './map-with-concurrency.js';
import { decryptSecretValue, type NodePgpKey } from './pgp-value.js';

/** Retry settings of one path's fetch; the total deadline is `timeoutMs`, not set here. */
export type ResolveRetryOptions = Pick<RetryOptions, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'random'>;

export const defaultResolveTimeoutMs = 30_000;
export const defaultMaxConcurrentFetches = 16;
export const defaultResolveRetry: Readonly<ResolveRetryOptions> = Object.freeze({
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 2000,
});

export interface ResolveSecretsOptions {
  readonly plan: DeliveryPlan;
  readonly source: SecretSource;
  /** More secret names (keys of `secrets`) that may be absent, on top of the plan's own. */
  readonly optional?: ReadonlySet<string>;
  /** The node's OpenPGP key: values that are OpenPGP messages are decrypted with it. */
  readonly pgpPrivateKey?: NodePgpKey;
  /** Total deadline for all fetches, retries included. */
  readonly timeoutMs: number;
  readonly retry?: ResolveRetryOptions;
  /** Fetches in flight at once. Default 16. */
  readonly maxConcurrent?: number;
  readonly signal?: AbortSignal;
  readonly log: Logger;
}

export interface ResolvedSecret {
  /** Key of the definition's `secrets`. */
  readonly name: string;
  /** Secret Store path. */
  readonly path: string;
  /** The record as delivered (decrypted when it was an OpenPGP message); absent when missingOptional. */
  readonly record?: SecretRecord;
  /** Hex sha256 of the delivered bytes, for change detection and the delivery ledger; '' when absent. */
  readonly sha256: string;
  /** Whether the stored value was an OpenPGP message that was decrypted. */
  readonly decrypted?: true;
  readonly missingOptional?: true;
}

/** Per secret name (every name the plan uses). */
export type ResolvedSecrets = ReadonlyMap<string, ResolvedSecret>;

interface PathResult {
  readonly record?: SecretRecord;
  readonly sha256: string;
  readonly decrypted?: true;
  readonly missingOptional?: true;
}

// Resolves the plan's secrets; throws the first failure (in path order) as a one-line error naming the path.
export async function resolveSecrets(options: ResolveSecretsOptions): Promise<ResolvedSecrets> {
  const { plan, log } = options;
  assertTimeout(options.timeoutMs);
  const optionalPaths = listOptionalPaths(plan, options.optional);
  const outcomes = await fetchPaths(options, plan.secretPaths, (path) => optionalPaths.has(path));
  const failures = outcomes.filter(
    (outcome): outcome is { path: string; error: SecretsAgentError } => 'error' in outcome,
  );
  const first = failures[0];
  if (first !== undefined) {
    const more =
      failures.length > 1 ? ` (and ${failures.length - 1} more secret${failures.length > 2 ? 's' : ''} failed)` : '';
    throw new SecretsAgentError(first.error.code, `${first.error.message}${more}`, {
      details: { ...first.error.details, failedPaths: failures.map((failure) => failure.path) },
      cause: first.error,
    });
  }
  const byPath = new Map(outcomes.map((outcome) => [outcome.path, (outcome as { result: PathResult }).result]));
  const resolved = new Map<string, ResolvedSecret>();
  for (const use of [...plan.env, ...plan.files]) {
    if (resolved.has(use.secretName)) continue;
    resolved.set(
      use.secretName,
      resolvedSecret(use.secretName, use.sourcePath, byPath.get(use.sourcePath) as PathResult),
    );
  }
  log.debug({ paths: plan.secretPaths.length, names: resolved.size }, 'secrets resolved');
  return resolved;
}

export type PathOutcome =
  { readonly path: string; readonly result: PathResult } | { readonly path: string; readonly error: SecretsAgentError };

// Fetches `paths` (each once) under one deadline; every outcome is reported, nothing thrown for a path.
export async function fetchPaths(
  options: Omit<ResolveSecretsOptions, 'plan' | 'optional'>,
  paths: readonly string[],
  isOptional: (path: string) => boolean,
): Promise<PathOutcome[]> {
  const { log } = options;
  const deadline = new AbortController();
  // Every fetch in flight and every retry wait listens on it; that is expected, not a leak.
  setMaxListeners(0, deadline.signal);
  const timer = setTimeout(() => deadline.abort(), options.timeoutMs);
  const onOuterAbort = (): void => deadline.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const retry = { ...defaultResolveRetry, ...options.retry };
  const startedMs = Date.now();
  // One promise for the deadline that every fetch races against: an abort listener per fetch on
  // one signal costs more than the fetch itself once a hundred are in flight.
  const deadlineReached = new Promise<typeof deadlineMark>((resolve) => {
    if (deadline.signal.aborted) resolve(deadlineMark);
    deadline.signal.addEventListener('abort', () => resolve(deadlineMark), { once: true });
  });
  try {
    const batched = await readBatch(options, paths, deadlineReached);
    const outcomes: PathOutcome[] = new Array<PathOutcome>(paths.length);
    // A record the batch answered needs nothing asynchronous (unless it is to be decrypted): taken
    // in one plain loop, not one async call per path, which cost `run` ~3 ms for 100 secrets.
    const rest: number[] = [];
    for (const [index, path] of paths.entries()) {
      const first = batched.get(path);
      if (first !== undefined && 'record' in first && options.pgpPrivateKey === undefined)
        outcomes[index] = fetchedOutcome(path, { record: first.record }, log);
      else rest.push(index);
    }
    await mapWithConcurrency(
      rest,
      options.maxConcurrent ?? defaultMaxConcurrentFetches,
      async (index): Promise<void> => {
        const path = paths[index] as string;
        try {
          const first = batched.get(path);
          // A final answer from the batch stands; a retryable or deferred one is read again on its own.
          if (first !== undefined && 'error' in first && !isRetryable(first.error)) throw first.error;
          const record =
            first !== undefined && 'record' in first
              ? first.record
              : await raceDeadline(
                  retryWithBackoff(() => options.source.getSecret(path), {
                    ...retry,
                    deadlineMs: options.timeoutMs,
                    signal: deadline.signal,
                    onRetry: ({ attempt, delayMs, error }) =>
                      log.warn({ secretPath: path, attempt, delayMs, err: error }, 'secret fetch failed; retrying'),
                  }),
                  deadlineReached,
                  path,
                  options,
                );
          const delivered =
            options.pgpPrivateKey === undefined ? { record } : await decryptSecretValue(record, options.pgpPrivateKey);
          outcomes[index] = fetchedOutcome(path, delivered, log);
        } catch (error) {
          if (isSecretsAgentError(error, 'ERR_SECRET_NOT_FOUND') && isOptional(path)) {
            log.info({ secretPath: path }, 'optional secret is absent; skipping it');
            outcomes[index] = { path, result: { sha256: '', missingOptional: true } };
            return;
          }
          outcomes[index] = {
            path,
            error: describeFailure(
              path,
              error,
              deadline.signal.aborted && options.signal?.aborted !== true,
              Date.now() - startedMs,
            ),
          };
        }
      },
    );
    return outcomes;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}

function fetchedOutcome(
  path: string,
  delivered: { readonly record: SecretRecord; readonly decrypted?: true },
  log: Logger,
): PathOutcome {
  if (log.isLevelEnabled('debug'))
    log.debug(
      { secretPath: path, type: delivered.record.type, bytes: delivered.record.bytes.length },
      'secret fetched',
    );
  return { path, result: withDigest(delivered) };
}

// One batch read of every path when the source offers it, under the same deadline. Whatever it
// could not settle (no batch read, a failed request, a retryable or deferred item) is absent from
// the map and read path by path with retries, so errors and exit codes are those of single reads.
async function readBatch(
  options: Omit<ResolveSecretsOptions, 'plan' | 'optional'>,
  paths: readonly string[],
  deadlineReached: Promise<typeof deadlineMark>,
): Promise<Map<string, BatchReadOutcome>> {
  const byPath = new Map<string, BatchReadOutcome>();
  if (options.source.readSecrets === undefined || paths.length === 0) return byPath;
  try {
    const work = options.source.readSecrets(paths);
    work.catch(() => undefined);
    const outcomes = await Promise.race([work, deadlineReached]);
    if (outcomes === deadlineMark || outcomes === undefined) return byPath;
    for (const outcome of outcomes) if (!('deferred' in outcome)) byPath.set(outcome.path, outcome);
  } catch (error) {
    options.log.debug({ err: error, paths: paths.length }, 'batch read failed; reading path by path');
  }
  return byPath;
}

function isRetryable(error: Error): boolean {
  return !isSecretsAgentError(error) || error.retryable;
}

// A path is optional when every name that uses it is optional (in the plan or by `extra`).
function listOptionalPaths(plan: DeliveryPlan, extra: ReadonlySet<string> | undefined): Set<string> {
  const required = new Set<string>();
  for (const use of [...plan.env, ...plan.files]) {
    if (!use.optional && extra?.has(use.secretName) !== true) required.add(use.sourcePath);
  }
  return new Set(plan.secretPaths.filter((path) => !required.has(path)));
}

const deadlineMark = Symbol('deadline');

// The deadline also cuts an attempt in flight (the client's own timeout may be longer).
async function raceDeadline<T>(
  work: Promise<T>,
  deadlineReached: Promise<typeof deadlineMark>,
  path: string,
  options: { timeoutMs: number },
): Promise<T> {
  // A fetch that loses the race may still fail later; that failure is nobody's to handle.
  work.catch(() => undefined);
  const winner = await Promise.race([work, deadlineReached]);
  if (winner === deadlineMark) throw timeoutError(path, options.timeoutMs);
  return winner as T;
}

function timeoutError(path: string, timeoutMs: number): SecretsAgentError {
  return new SecretsAgentError('ERR_TIMEOUT', `timed out after ${timeoutMs} ms (--timeout)`, {
    details: { secretPath: path, timeoutMs },
  });
}

// One line: what failed (the path) and why (our message, which never carries a value).
function describeFailure(path: string, error: unknown, timedOut: boolean, elapsedMs: number): SecretsAgentError {
  let failure: SecretsAgentError;
  if (timedOut && !isSecretsAgentError(error)) {
    // The retry loop's wait was cut by the deadline (an AbortError).
    failure = new SecretsAgentError('ERR_TIMEOUT', `gave up after ${elapsedMs} ms (--timeout)`, { cause: error });
  } else if (timedOut && isSecretsAgentError(error) && error.code !== 'ERR_TIMEOUT' && error.retryable) {
    failure = new SecretsAgentError('ERR_TIMEOUT', `gave up after ${elapsedMs} ms (--timeout): ${error.message}`, {
      cause: error,
    });
  } else {
    failure = toSecretsAgentError(error, 'internal error while fetching');
  }
  const reason = failure.message.replace(/\s*\n\s*/g, ' ');
  return new SecretsAgentError(failure.code, `Cannot read secret \`${path}\`: ${reason}`, {
    details: { ...failure.details, secretPath: path },
    cause: failure,
  });
}

// The delivered value with its sha256, computed when first read: the daemon's ledger and secret
// files read it, while an env-only `run` never does and so never loads node:crypto (lazy-builtins.ts).
// Nothing changes a record's bytes after it is delivered, so the digest is the same whenever read.
// Object literals with a getter, not defineProperty: this runs once per secret on `run`'s cold path.
function withDigest({ record, decrypted }: { readonly record: SecretRecord; readonly decrypted?: true }): PathResult {
  let digest: string | undefined;
  const result: { record: SecretRecord; readonly sha256: string; decrypted?: true } = {
    record,
    get sha256() {
      return (digest ??= loadCrypto().createHash('sha256').update(record.bytes).digest('hex'));
    },
  };
  if (decrypted === true) result.decrypted = true;
  return result;
}

// One name's view of its path's result; a getter reads the digest through, so it is still computed
// at most once per path and only when asked for.
function resolvedSecret(name: string, path: string, result: PathResult): ResolvedSecret {
  const { record } = result;
  if (record === undefined) return Object.freeze({ name, path, ...result });
  const secret: { name: string; path: string; record: SecretRecord; readonly sha256: string; decrypted?: true } = {
    name,
    path,
    record,
    get sha256() {
      return result.sha256;
    },
  };
  if (result.decrypted === true) secret.decrypted = true;
  return Object.freeze(secret);
}

function assertTimeout(timeoutMs: unknown): void {
  if (typeof timeoutMs !== 'number' || !Number.isSafeInteger(timeoutMs) || timeoutMs < 1) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`timeoutMs\` to be a positive integer, got \`${String(timeoutMs)}\` (${typeof timeoutMs})`,
    );
  }
}
