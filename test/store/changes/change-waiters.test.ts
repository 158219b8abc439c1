import { describe, expect, it } from 'vitest';
import { ChangeWaiters } from '../../../src/store/changes/change-waiters.js';

describe('ChangeWaiters', () => {
  it('wakes every waiter on wakeAll and forgets them', async () => {
    const waiters = new ChangeWaiters();
    const far = Date.now() + 60_000;
    const woken = Array.from({ length: 1000 }, () => waiters.wait(far));
    expect(waiters.size).toBe(1000);
    waiters.wakeAll();
    await Promise.all(woken);
    expect(waiters.size).toBe(0);
  });

  it('resolves each waiter at its own deadline, earliest first, with one timer', async () => {
    const waiters = new ChangeWaiters();
    const order: number[] = [];
    const start = Date.now();
    const all = [30, 10, 20].map((offsetMs) => waiters.wait(start + offsetMs).then(() => order.push(offsetMs)));
    await Promise.all(all);
    expect(order).toEqual([10, 20, 30]);
    expect(waiters.size).toBe(0);
  });

  it('an aborted wait rejects with the reason and leaves the set at once', async () => {
    const waiters = new ChangeWaiters();
    const controller = new AbortController();
    const waiting = waiters.wait(Date.now() + 60_000, controller.signal);
    const other = waiters.wait(Date.now() + 60_000);
    controller.abort(new Error('client gone'));
    await expect(waiting).rejects.toThrow('client gone');
    expect(waiters.size).toBe(1);
    waiters.wakeAll();
    await other;
    await expect(waiters.wait(Date.now() + 60_000, controller.signal)).rejects.toThrow('client gone');
    expect(waiters.size).toBe(0);
  });
});
