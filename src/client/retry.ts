// The retry owner for one flow (Vault Agent style: the HTTP client makes single attempts).
// Bounded attempts, full-jitter exponential backoff, only for retryable failures (network, 5xx,
// timeouts, 429), `Retry-After` honoured, and a total deadline no attempt or wait may pass.
import { setTimeout as delay } from 'node:timers/promises';
import { fullJitterDelayMs, resolveBackoff, type BackoffOptions } from '../core/backoff.js';
import { errorCodes, isSecretsAgentError } from '../core/errors.js';
import { assertOptionalPositiveInteger } from './client-options.js';

/** How `retryWithBackoff` retries: attempts, deadline, backoff, and hooks for tests and logs. */
export interface RetryOptions extends BackoffOptions {
  /** Attempts in total, the first included. Default 5. */
  maxAttempts?: number;
  /** Total time budget from the first attempt; no retry starts (or waits) past it. Default: none. */
  deadlineMs?: number;
  /** [0, 1) source for the jitter; default Math.random. */
  random?: () => number;
  /** Clock in ms; default Date.now. */
  now?: () => number;
  /** Waits `ms`; default a global setTimeout (rejects when `signal` aborts). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  /** Called before each wait, e.g. to log. */
  onRetry?: (event: RetryEvent) => void;
}

/** What `onRetry` receives before each wait. */
export interface RetryEvent {
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: unknown;
}

/** What each attempt receives: its number and the time left before the deadline. */
export interface AttemptInfo {
  /** From 1. */
  readonly attempt: number;
  /** Time left before the deadline (Infinity without one): use it as the attempt's timeout. */
  readonly remainingMs: number;
}

/**
 * Whether a failure may succeed when repeated: the code table says so (unreachable, sealed,
 * timeout, throttled, storage unavailable), or the server failed with a 5xx without a code of ours.
 */
export function isRetryableError(error: unknown): boolean {
  if (!isSecretsAgentError(error)) return false;
  if (errorCodes[error.code].retryable) return true;
  const status = error.details?.['status'];
  return (
    typeof status === 'number' &&
    status >= 500 &&
    (error.code === 'ERR_HTTP_UNEXPECTED' || error.code === 'ERR_INTERNAL')
  );
}

/**
 * Runs `attempt` until it succeeds, fails for good, runs out of attempts or would pass the deadline;
 * then rethrows the last error unchanged.
 *
 * @example
 * ```ts
 * import { createSecretsHttpApi, retryWithBackoff } from 'secrets-agent';
 *
 * declare const api: ReturnType<typeof createSecretsHttpApi>;
 * const record = await retryWithBackoff(() => api.getSecret('billing/db-password'), {
 *   maxAttempts: 5,
 *   deadlineMs: 30_000,
 *   onRetry: ({ attempt, delayMs, error }) => console.warn({ attempt, delayMs, error }, 'retrying'),
 * });
 * ```
 */
export async function retryWithBackoff<T>(
  attempt: (info: AttemptInfo) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const backoff = resolveBackoff(options);
  const maxAttempts = options.maxAttempts ?? 5;
  assertOptionalPositiveInteger(maxAttempts, 'maxAttempts');
  assertOptionalPositiveInteger(options.deadlineMs, 'deadlineMs');
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const sleep = options.sleep ?? sleepMs;
  const startedMs = now();
  const deadlineAtMs = options.deadlineMs === undefined ? Infinity : startedMs + options.deadlineMs;

  for (let number = 1; ; number += 1) {
    options.signal?.throwIfAborted();
    try {
      return await attempt({ attempt: number, remainingMs: Math.max(0, deadlineAtMs - now()) });
    } catch (error) {
      if (number >= maxAttempts || !isRetryableError(error)) throw error;
      const jitterMs = fullJitterDelayMs(number - 1, backoff, random);
      const retryAfterMs = isSecretsAgentError(error) ? error.details?.['retryAfterMs'] : undefined;
      // The server's Retry-After is a floor: retrying sooner only earns another 429/503.
      const delayMs = typeof retryAfterMs === 'number' ? Math.max(jitterMs, retryAfterMs) : jitterMs;
      if (now() + delayMs >= deadlineAtMs) throw error;
      options.onRetry?.({ attempt: number, delayMs, error });
      await sleep(delayMs, options.signal);
    }
  }
}

// Rejects with the signal's own reason (not Node's AbortError wrapping it), as callers match on it.
async function sleepMs(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, { signal });
  } catch (error) {
    signal?.throwIfAborted();
    throw error;
  }
}
