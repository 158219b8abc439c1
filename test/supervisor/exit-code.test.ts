import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../src/supervisor/exit-code.js';

describe('exitCodeOf', () => {
  it('passes the workload code through', () => {
    expect(exitCodeOf({ exitCode: 0, signal: undefined })).toBe(0);
    expect(exitCodeOf({ exitCode: 42, signal: undefined })).toBe(42);
  });

  it('maps a signal death to 128+N from os.constants.signals', () => {
    expect(exitCodeOf({ exitCode: undefined, signal: 'SIGTERM' })).toBe(143);
    expect(exitCodeOf({ exitCode: undefined, signal: 'SIGKILL' })).toBe(137);
    expect(exitCodeOf({ exitCode: undefined, signal: 'SIGUSR2' })).toBe(128 + constants.signals.SIGUSR2);
  });

  it('answers the internal-error code when neither is known', () => {
    expect(exitCodeOf({ exitCode: undefined, signal: undefined })).toBe(70);
  });
});
