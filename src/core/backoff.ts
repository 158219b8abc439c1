// Pure retry-delay maths: full-jitter exponential backoff (AWS "Exponential Backoff and Jitter")
// and `Retry-After` parsing. No timers here; the retry loop in src/client/retry.ts owns those.
import { SecretsAgentError } from './errors.js';

/** Exponential backoff bounds: the first ceiling and the largest, in ms. */
export interface BackoffOptions {
  /** Delay ceiling of the first retry; doubles per attempt. Default 200. */
  baseDelayMs?: number;
  /** No delay exceeds this. Default 10_000. */
  maxDelayMs?: number;
}

export interface ResolvedBackoff {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const defaultBackoff: ResolvedBackoff = Object.freeze({ baseDelayMs: 200, maxDelayMs: 10_000 });

/** Validates and completes backoff options. */
export function resolveBackoff(options: BackoffOptions = {}): ResolvedBackoff {
  const baseDelayMs = options.baseDelayMs ?? defaultBackoff.baseDelayMs;
  const maxDelayMs = options.maxDelayMs ?? defaultBackoff.maxDelayMs;
  assertDelay(baseDelayMs, 'baseDelayMs');
  assertDelay(maxDelayMs, 'maxDelayMs');
  return Object.freeze({ baseDelayMs, maxDelayMs });
}

/** The ceiling for retry number `retry` (0 for the first retry): min(max, base * 2^retry). */
export function backoffCeilingMs(retry: number, backoff: ResolvedBackoff = defaultBackoff): number {
  if (!Number.isInteger(retry) || retry < 0) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`retry\` to be a non-negative integer, got ${describeValue(retry)}`,
    );
  }
  // 2^retry overflows to Infinity for huge retries; min() keeps the result finite.
  return Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** retry);
}

/** Full jitter: a uniformly random delay in [0, ceiling). `random` returns [0, 1) like Math.random. */
export function fullJitterDelayMs(
  retry: number,
  backoff: ResolvedBackoff = defaultBackoff,
  random: () => number = Math.random,
): number {
  const ceiling = backoffCeilingMs(retry, backoff);
  const draw = random();
  const unit = Number.isFinite(draw) ? Math.min(Math.max(draw, 0), 1) : 0;
  return Math.floor(unit * ceiling);
}

/**
 * Parses a `Retry-After` header (delta-seconds or an HTTP-date) into milliseconds from `nowMs`.
 * Returns undefined for a missing or unreadable header; a date in the past gives 0.
 */
export function parseRetryAfterMs(
  header: string | readonly string[] | undefined,
  nowMs: number = Date.now(),
): number | undefined {
  const text = (Array.isArray(header) ? header[0] : header) as string | undefined;
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    const seconds = Number(trimmed);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined;
  }
  if (!/[A-Za-z]/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

// Type and number only, in the house message shape (core does not import config's describeValue).
function describeValue(value: unknown): string {
  return typeof value === 'number'
    ? `\`${String(value)}\` (number)`
    : `a value of type ${value === null ? 'null' : typeof value}`;
}

function assertDelay(value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`${name}\` to be a non-negative integer, got ${describeValue(value)}`,
    );
  }
}
