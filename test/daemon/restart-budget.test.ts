import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRestartBudget } from '../../src/daemon/restart-budget.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('node-wide restart budget', () => {
  it('lets `count` restarts through at once and queues the rest in order, one per refill', () => {
    vi.useFakeTimers();
    const budget = createRestartBudget({ count: 2, perMs: 60_000 }, () => Date.now());
    const ran: string[] = [];
    const outcomes = ['a', 'b', 'c', 'd'].map((key) => budget.request(key, () => ran.push(key)));
    expect(outcomes).toEqual(['now', 'now', 'queued', 'queued']);
    expect(budget.request('c', () => ran.push('c again'))).toBe('queued');
    expect(budget.queued).toBe(2);
    vi.advanceTimersByTime(30_000);
    expect(ran).toEqual(['a', 'b', 'c']);
    budget.cancel('d');
    vi.advanceTimersByTime(60_000);
    expect(ran).toEqual(['a', 'b', 'c']);
    budget.close();
  });

  it('runs everything queued when the budget is lifted (SIGHUP to `unlimited`)', () => {
    vi.useFakeTimers();
    const budget = createRestartBudget({ count: 1, perMs: 3_600_000 }, () => Date.now());
    const ran: string[] = [];
    for (const key of ['a', 'b', 'c']) budget.request(key, () => ran.push(key));
    budget.setRate(undefined);
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(budget.request('d', () => ran.push('d'))).toBe('now');
    budget.close();
  });
});
