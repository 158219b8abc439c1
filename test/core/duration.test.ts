import { describe, expect, it } from 'vitest';
import { parseDurationMs, parseRate } from '../../src/core/duration.js';

describe('parseDurationMs', () => {
  it('reads ms, s, m, min and h; a bare number is seconds', () => {
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('30s')).toBe(30_000);
    expect(parseDurationMs('2m')).toBe(120_000);
    expect(parseDurationMs('2min')).toBe(120_000);
    expect(parseDurationMs('1h')).toBe(3_600_000);
    expect(parseDurationMs(' 7 ')).toBe(7000);
  });

  it('refuses what is not a duration', () => {
    for (const text of ['', 's', '-1s', '1.5s', '1d', '10 s', '1e3', '1234567890s'])
      expect(parseDurationMs(text), text).toBeUndefined();
  });
});

describe('parseRate', () => {
  it('reads N/s, N/min, N/h and unlimited', () => {
    expect(parseRate('10/min')).toEqual({ count: 10, perMs: 60_000 });
    expect(parseRate('3/s')).toEqual({ count: 3, perMs: 1000 });
    expect(parseRate('unlimited')).toBe('unlimited');
  });

  it('refuses zero counts and unknown units', () => {
    for (const text of ['0/min', '5/day', '5', 'x/s']) expect(parseRate(text), text).toBeUndefined();
  });
});

describe('parseDurationMs with a unit list', () => {
  it('accepts only the listed units (a bare number counts as s)', () => {
    expect(parseDurationMs('5m', ['ms', 's', 'm'])).toBe(300_000);
    expect(parseDurationMs('7', ['ms', 's', 'm'])).toBe(7000);
    expect(parseDurationMs('1h', ['ms', 's', 'm'])).toBeUndefined();
    expect(parseDurationMs('2min', ['ms', 's', 'm'])).toBeUndefined();
    expect(parseDurationMs('7', ['ms'])).toBeUndefined();
  });
});
