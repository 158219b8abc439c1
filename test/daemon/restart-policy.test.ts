import { describe, expect, it } from 'vitest';
import { decideRestart, restartDelayMs, type RestartPolicy } from '../../src/daemon/restart-policy.js';

const policy: RestartPolicy = {
  restartDelayMs: 1000,
  restartDelayMaxMs: 8000,
  minUptimeMs: 10_000,
  holdAfter: 4,
  holdForMs: 600_000,
};

describe('restart policy', () => {
  it('doubles the delay per quick failure, with equal jitter, up to the ceiling', () => {
    expect([1, 2, 3, 4, 5].map((n) => restartDelayMs(n, policy, () => 0))).toEqual([500, 1000, 2000, 4000, 4000]);
    expect([1, 2, 3, 4, 5].map((n) => restartDelayMs(n, policy, () => 1))).toEqual([1000, 2000, 4000, 8000, 8000]);
  });

  it('holds a task back after holdAfter quick failures in a row', () => {
    let quickFailures = 0;
    const actions: string[] = [];
    for (let run = 0; run < 4; run += 1) {
      const decision = decideRestart({ quickFailures, uptimeMs: 50 }, policy, () => 0.5);
      quickFailures = decision.quickFailures;
      actions.push(`${decision.action}:${decision.delayMs}`);
    }
    expect(actions).toEqual(['restart:750', 'restart:1500', 'restart:3000', 'hold:600000']);
  });

  it('treats a run longer than minUptime as healthy: the streak starts over, restart at once', () => {
    expect(decideRestart({ quickFailures: 3, uptimeMs: 10_000 }, policy)).toEqual({
      action: 'restart',
      delayMs: 0,
      quickFailures: 0,
    });
  });
});
