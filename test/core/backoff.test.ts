import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, fullJitterDelayMs, parseRetryAfterMs, resolveBackoff } from '../../src/core/backoff.js';

describe('backoffCeilingMs', () => {
  it('doubles from the base and stops at the maximum', () => {
    const backoff = resolveBackoff({ baseDelayMs: 100, maxDelayMs: 1000 });
    expect([0, 1, 2, 3, 4, 5].map((retry) => backoffCeilingMs(retry, backoff))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    // 2^2000 is Infinity; the ceiling still holds.
    expect(backoffCeilingMs(2000, backoff)).toBe(1000);
  });

  it('refuses a negative or fractional retry number', () => {
    expect(() => backoffCeilingMs(-1)).toThrow('Expected `retry` to be a non-negative integer, got `-1` (number)');
    expect(() => backoffCeilingMs(1.5)).toThrow(/retry/);
  });
});

describe('fullJitterDelayMs', () => {
  const backoff = resolveBackoff({ baseDelayMs: 100, maxDelayMs: 1000 });

  it('draws uniformly in [0, ceiling) from the injected random source', () => {
    expect(fullJitterDelayMs(3, backoff, () => 0)).toBe(0);
    expect(fullJitterDelayMs(3, backoff, () => 0.5)).toBe(400);
    expect(fullJitterDelayMs(3, backoff, () => 0.999999)).toBe(799);
    expect(fullJitterDelayMs(10, backoff, () => 0.5)).toBe(500);
  });

  it('clamps a broken random source instead of producing negative or huge delays', () => {
    expect(fullJitterDelayMs(0, backoff, () => -3)).toBe(0);
    expect(fullJitterDelayMs(0, backoff, () => 7)).toBe(100);
    expect(fullJitterDelayMs(0, backoff, () => Number.NaN)).toBe(0);
  });
});

describe('resolveBackoff', () => {
  it('fills defaults and validates in the house message shape', () => {
    expect(resolveBackoff()).toEqual({ baseDelayMs: 200, maxDelayMs: 10_000 });
    expect(() => resolveBackoff({ baseDelayMs: -1 })).toThrow(
      'Expected `baseDelayMs` to be a non-negative integer, got `-1` (number)',
    );
    expect(() => resolveBackoff({ maxDelayMs: 1.5 })).toThrow(
      'Expected `maxDelayMs` to be a non-negative integer, got `1.5` (number)',
    );
  });
});

describe('parseRetryAfterMs', () => {
  const nowMs = Date.parse('2024-05-01T12:00:00Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfterMs('3', nowMs)).toBe(3000);
    expect(parseRetryAfterMs(' 0 ', nowMs)).toBe(0);
    expect(parseRetryAfterMs(['7', '9'], nowMs)).toBe(7000);
  });

  it('reads an HTTP-date relative to now, never negative', () => {
    expect(parseRetryAfterMs('Wed, 01 May 2024 12:00:05 GMT', nowMs)).toBe(5000);
    expect(parseRetryAfterMs('Wed, 01 May 2024 11:00:00 GMT', nowMs)).toBe(0);
  });

  it('ignores missing and unreadable values', () => {
    expect(parseRetryAfterMs(undefined, nowMs)).toBeUndefined();
    expect(parseRetryAfterMs('-1', nowMs)).toBeUndefined();
    expect(parseRetryAfterMs('1.5', nowMs)).toBeUndefined();
    expect(parseRetryAfterMs('soon', nowMs)).toBeUndefined();
  });
});
