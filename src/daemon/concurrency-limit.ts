// A counting semaphore: at most `limit` operations run at once, the rest wait in FIFO order.
export interface ConcurrencyLimit {
  run<T>(operation: () => Promise<T>): Promise<T>;
  /** Changes the limit (SIGHUP); waiting operations start as room appears. */
  setLimit(limit: number): void;
  readonly active: number;
  readonly waiting: number;
}

export function createConcurrencyLimit(initialLimit: number): ConcurrencyLimit {
  let limit = initialLimit;
  let active = 0;
  const queue: (() => void)[] = [];

  const pump = (): void => {
    while (active < limit && queue.length > 0) {
      active += 1;
      (queue.shift() as () => void)();
    }
  };

  return {
    run(operation) {
      return new Promise((resolve, reject) => {
        queue.push(() => {
          operation()
            .then(resolve, reject)
            .finally(() => {
              active -= 1;
              pump();
            });
        });
        pump();
      });
    },
    setLimit(next) {
      limit = next;
      pump();
    },
    get active() {
      return active;
    },
    get waiting() {
      return queue.length;
    },
  };
}
