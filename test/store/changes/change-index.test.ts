import { describe, expect, it } from 'vitest';
import { createChangeEpoch, formatChangeIndex, parseChangeIndex } from '../../../src/store/changes/change-index.js';
import { parseWaitMs } from '../../../src/store/changes/wait-duration.js';

describe('change index', () => {
  it('round-trips `<epoch>.<counter>` and uses a new random epoch each time', () => {
    const epoch = createChangeEpoch();
    expect(epoch).toMatch(/^[0-9a-f]{16}$/);
    expect(createChangeEpoch()).not.toBe(epoch);
    expect(parseChangeIndex(formatChangeIndex(epoch, 42))).toEqual({ epoch, counter: 42 });
    expect(parseChangeIndex(formatChangeIndex(epoch, 0))).toEqual({ epoch, counter: 0 });
  });

  it.each([
    '',
    '7',
    'abc.1',
    '0123456789abcdef.',
    '0123456789abcdef.-1',
    '0123456789abcdef.01',
    '0123456789ABCDEF.1',
    '0123456789abcdef.1.2',
    '0123456789abcdef.99999999999999999',
  ])('refuses %j with ERR_INPUT_INVALID', (text) => {
    expect(() => parseChangeIndex(text)).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
  });
});

describe('parseWaitMs', () => {
  it('reads seconds, milliseconds and minutes, defaults to 60 s and caps at 5 min', () => {
    expect(parseWaitMs(undefined)).toBe(60_000);
    expect(parseWaitMs(null)).toBe(60_000);
    expect(parseWaitMs('')).toBe(60_000);
    expect(parseWaitMs('60s')).toBe(60_000);
    expect(parseWaitMs('30')).toBe(30_000);
    expect(parseWaitMs('250ms')).toBe(250);
    expect(parseWaitMs('0')).toBe(0);
    expect(parseWaitMs('2m')).toBe(120_000);
    expect(parseWaitMs('1m')).toBe(60_000);
    expect(parseWaitMs('99m')).toBe(300_000);
  });

  it.each(['-1s', '1h', '1.5s', 's', 'soon'])('refuses %j with ERR_INPUT_INVALID', (text) => {
    expect(() => parseWaitMs(text)).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
  });
});
