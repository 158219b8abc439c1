// The node-wide restart budget: a token bucket shared by every task, so rotating one secret that
// a hundred tasks use restarts at most `count` of them per `perMs` and queues the rest (FIFO),
// instead of taking the whole service down at once. Only restarts caused by rotation ask it.
import type { Rate } from '../core/duration.js';

export interface RestartBudget {
  /** Runs `restart` now when a token is free, else queues it; a key already queued is not queued twice. */
  request(key: string, restart: () => void): 'now' | 'queued';
  /** Drops a queued request (the task stopped or restarted for another reason). */
  cancel(key: string): void;
  isQueued(key: string): boolean;
  readonly queued: number;
  /** undefined: unlimited. */
  setRate(rate: Rate | undefined): void;
  close(): void;
}

// Starts full: the first `count` restarts go at once.
export function createRestartBudget(initialRate: Rate | undefined, now: () => number = Date.now): RestartBudget {
  let rate = initialRate;
  let tokens = rate?.count ?? 0;
  let refilledAtMs = now();
  const queue = new Map<string, () => void>();
  let timer: NodeJS.Timeout | undefined;

  const refill = (): void => {
    if (rate === undefined) return;
    const elapsed = now() - refilledAtMs;
    tokens = Math.min(rate.count, tokens + (elapsed * rate.count) / rate.perMs);
    refilledAtMs = now();
  };

  const take = (): boolean => {
    if (rate === undefined) return true;
    refill();
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };

  const drain = (): void => {
    timer = undefined;
    for (const [key, restart] of queue) {
      if (!take()) break;
      queue.delete(key);
      restart();
    }
    schedule();
  };

  const schedule = (): void => {
    if (timer !== undefined || queue.size === 0 || rate === undefined) return;
    const waitMs = Math.max(1, Math.ceil(((1 - tokens) * rate.perMs) / rate.count));
    timer = setTimeout(drain, waitMs);
  };

  return {
    request(key, restart) {
      if (queue.has(key)) return 'queued';
      if (queue.size === 0 && take()) {
        restart();
        return 'now';
      }
      queue.set(key, restart);
      schedule();
      return 'queued';
    },
    cancel(key) {
      queue.delete(key);
    },
    isQueued: (key) => queue.has(key),
    get queued() {
      return queue.size;
    },
    setRate(next) {
      refill();
      rate = next;
      tokens = Math.min(tokens, rate?.count ?? 0);
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      if (rate === undefined) {
        const waiting = [...queue.values()];
        queue.clear();
        for (const restart of waiting) restart();
        return;
      }
      schedule();
    },
    close() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      queue.clear();
    },
  };
}
