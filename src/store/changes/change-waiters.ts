// Parked long polls. However many there are, they share one timer (armed for the earliest
// deadline), so a thousand waiting clients cost a thousand small objects and nothing else.

interface Waiter {
  readonly deadlineMs: number;
  readonly resolve: () => void;
}

export class ChangeWaiters {
  readonly #waiters = new Set<Waiter>();
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #timerAtMs = Infinity;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  get size(): number {
    return this.#waiters.size;
  }

  // Resolves on the next wakeAll(), at `deadlineMs`, or (rejecting with its reason) when `signal` aborts.
  wait(deadlineMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        this.#waiters.delete(waiter);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        deadlineMs,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
      if (deadlineMs < this.#timerAtMs) this.#arm(deadlineMs);
    });
  }

  // Wakes every waiter (something changed, or the feed closes).
  wakeAll(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    this.#disarm();
    for (const waiter of waiters) waiter.resolve();
  }

  #arm(atMs: number): void {
    this.#disarm();
    this.#timerAtMs = atMs;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, atMs - this.#now()));
    this.#timer.unref();
  }

  #disarm(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAtMs = Infinity;
  }

  #expire(): void {
    this.#timer = undefined;
    this.#timerAtMs = Infinity;
    const nowMs = this.#now();
    let nextMs = Infinity;
    for (const waiter of [...this.#waiters]) {
      if (waiter.deadlineMs <= nowMs) {
        this.#waiters.delete(waiter);
        waiter.resolve();
      } else if (waiter.deadlineMs < nextMs) {
        nextMs = waiter.deadlineMs;
      }
    }
    if (nextMs !== Infinity) this.#arm(nextMs);
  }
}
