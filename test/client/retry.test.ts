import { afterEach, describe, expect, it, vi } from 'vitest';
import { isRetryableError, retryWithBackoff } from '../../src/client/retry.js';
import { SecretsAgentError } from '../../src/core/errors.js';

const unreachable = (): SecretsAgentError =>
  new SecretsAgentError('ERR_STORE_UNREACHABLE', 'down', { details: { networkCode: 'ECONNREFUSED' } });

// A scripted attempt: each call takes the next outcome (an error to throw, or a value to return).
function scripted(outcomes: unknown[]): { attempt: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    attempt: async () => {
      const outcome = outcomes[calls];
      calls += 1;
      if (outcome instanceof Error) throw outcome;
      return outcome as string;
    },
    calls: () => calls,
  };
}

describe('isRetryableError', () => {
  it('retries network failures, timeouts, sealed stores, throttling and bare 5xx, and nothing else', () => {
    expect(isRetryableError(unreachable())).toBe(true);
    expect(isRetryableError(new SecretsAgentError('ERR_TIMEOUT', 't'))).toBe(true);
    expect(isRetryableError(new SecretsAgentError('ERR_STORE_SEALED', 's', { details: { status: 503 } }))).toBe(true);
    expect(isRetryableError(new SecretsAgentError('ERR_AUTH_THROTTLED', 't', { details: { status: 429 } }))).toBe(true);
    expect(isRetryableError(new SecretsAgentError('ERR_HTTP_UNEXPECTED', 'x', { details: { status: 502 } }))).toBe(
      true,
    );
    expect(isRetryableError(new SecretsAgentError('ERR_INTERNAL', 'x', { details: { status: 500 } }))).toBe(true);
    expect(isRetryableError(new SecretsAgentError('ERR_HTTP_UNEXPECTED', 'x', { details: { status: 418 } }))).toBe(
      false,
    );
    expect(isRetryableError(new SecretsAgentError('ERR_SECRET_NOT_FOUND', 'x', { details: { status: 404 } }))).toBe(
      false,
    );
    expect(isRetryableError(new SecretsAgentError('ERR_FORBIDDEN', 'x', { details: { status: 403 } }))).toBe(false);
    expect(
      isRetryableError(new SecretsAgentError('ERR_STORE_NOT_INITIALIZED', 'x', { details: { status: 503 } })),
    ).toBe(false);
    expect(isRetryableError(new Error('plain'))).toBe(false);
  });
});

describe('retryWithBackoff', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries retryable failures with full-jitter delays and returns the first success', async () => {
    const { attempt, calls } = scripted([unreachable(), unreachable(), 'ok']);
    const delays: number[] = [];
    const result = await retryWithBackoff(attempt, {
      baseDelayMs: 100,
      maxDelayMs: 1000,
      random: () => 0.5,
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    expect(result).toBe('ok');
    expect(calls()).toBe(3);
    expect(delays).toEqual([50, 100]);
  });

  it('does not retry a 4xx-shaped failure', async () => {
    const notFound = new SecretsAgentError('ERR_SECRET_NOT_FOUND', 'Secret `a` does not exist', {
      details: { status: 404 },
    });
    const { attempt, calls } = scripted([notFound, 'never']);
    await expect(retryWithBackoff(attempt, { sleep: async () => {} })).rejects.toBe(notFound);
    expect(calls()).toBe(1);
  });

  it('stops after maxAttempts and rethrows the last error unchanged', async () => {
    const last = unreachable();
    const { attempt, calls } = scripted([unreachable(), unreachable(), last, 'never']);
    await expect(retryWithBackoff(attempt, { maxAttempts: 3, sleep: async () => {} })).rejects.toBe(last);
    expect(calls()).toBe(3);
  });

  it('waits at least Retry-After on 429/503', async () => {
    const throttled = new SecretsAgentError('ERR_AUTH_THROTTLED', 'slow down', {
      details: { status: 429, retryAfterMs: 2000 },
    });
    const { attempt } = scripted([throttled, 'ok']);
    const delays: number[] = [];
    await retryWithBackoff(attempt, { baseDelayMs: 100, random: () => 0.5, sleep: async (ms) => void delays.push(ms) });
    expect(delays).toEqual([2000]);
  });

  it('gives up instead of waiting past the deadline', async () => {
    let nowMs = 0;
    const sealed = new SecretsAgentError('ERR_STORE_SEALED', 'store is sealed', {
      details: { status: 503, retryAfterMs: 5000 },
    });
    const { attempt, calls } = scripted([sealed, 'never']);
    await expect(
      retryWithBackoff(attempt, { deadlineMs: 3000, now: () => nowMs, sleep: async (ms) => void (nowMs += ms) }),
    ).rejects.toBe(sealed);
    expect(calls()).toBe(1);
  });

  it('tells each attempt how much of the deadline is left', async () => {
    let nowMs = 1000;
    const seen: number[] = [];
    const { attempt } = scripted([unreachable(), unreachable(), 'ok']);
    await retryWithBackoff(
      async (info) => {
        seen.push(info.remainingMs);
        nowMs += 100;
        return attempt();
      },
      {
        deadlineMs: 10_000,
        baseDelayMs: 1000,
        random: () => 0.5,
        now: () => nowMs,
        sleep: async (ms) => void (nowMs += ms),
      },
    );
    expect(seen).toEqual([10_000, 9400, 8300]);
  });

  it('sleeps on real (fake) timers by default', async () => {
    vi.useFakeTimers();
    const { attempt, calls } = scripted([unreachable(), 'ok']);
    const pending = retryWithBackoff(attempt, { baseDelayMs: 1000, random: () => 0.999 });
    await vi.advanceTimersByTimeAsync(998);
    expect(calls()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(pending).resolves.toBe('ok');
    expect(calls()).toBe(2);
  });

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController();
    const { attempt } = scripted([unreachable(), 'never']);
    const pending = retryWithBackoff(attempt, { baseDelayMs: 60_000, random: () => 0.5, signal: controller.signal });
    controller.abort(new Error('shutting down'));
    await expect(pending).rejects.toThrow(/shutting down|aborted/);
  });

  it('validates its options', async () => {
    await expect(retryWithBackoff(async () => 'x', { maxAttempts: 0 })).rejects.toThrow(
      'Expected `maxAttempts` to be a positive integer, got `0` (number)',
    );
    await expect(retryWithBackoff(async () => 'x', { deadlineMs: -5 })).rejects.toThrow(
      'Expected `deadlineMs` to be a positive integer',
    );
  });
});
