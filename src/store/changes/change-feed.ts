// The store's change feed: which secret paths changed since a client's index, answered at once
// when something did, else after a long wait for the next change. It is fed by storage.watch, so
// a write made through any store instance sharing the storage (ZooKeeper) shows up on every
// instance. It holds paths only, never values.
import type { Logger } from '../../core/log.js';
import type { StorageBackend } from '../storage/backend.js';
import { secretsFolderKey } from '../store-keys.js';
import { createChangeEpoch, formatChangeIndex, parseChangeIndex } from './change-index.js';
import { ChangeLog, defaultChangeLogCapacity } from './change-log.js';
import { ChangeWaiters } from './change-waiters.js';

export interface ChangeFeedOptions {
  readonly storage: StorageBackend;
  /** The store whose secrets are reported (`default`). */
  readonly store: string;
  readonly log: Logger;
  /** Changes retained for readers that are behind; default 10 000. */
  readonly capacity?: number;
  readonly now?: () => number;
}

export interface ChangesAnswer {
  /** Pass this back as `index` to get what changes after it. */
  readonly index: string;
  /** Distinct changed secret paths, sorted. */
  readonly paths: readonly string[];
  /** The index is unknown here (another process, or older than the window): re-read everything you use. */
  readonly reset: boolean;
}

export interface ChangesQuery {
  /** The client's last index; undefined: no baseline (answered at once with a reset). */
  readonly index?: string | undefined;
  /** Only paths equal to or below this folder ('' or undefined: all). */
  readonly prefix?: string | undefined;
  readonly waitMs: number;
  /** Keeps the paths the caller may see (authorization); called only with a non-empty list. */
  readonly visible?: (paths: readonly string[]) => Promise<readonly string[]>;
  /** Aborts the wait (the client went away). */
  readonly signal?: AbortSignal;
}

export interface ChangeFeed {
  /** The index of the newest change. */
  currentIndex(): string;
  /** Throws ERR_INPUT_INVALID for an index this API never returned. */
  poll(query: ChangesQuery): Promise<ChangesAnswer>;
  /** Number of parked long polls. */
  readonly waiting: number;
  /** close() was called (the server is stopping). */
  readonly closed: boolean;
  /** Answers every parked poll now (with no changes) and stops watching storage. Safe to call twice. */
  close(): void;
}

// Subscribes to the storage and starts numbering changes from 0 under a fresh epoch.
export function createChangeFeed(options: ChangeFeedOptions): ChangeFeed {
  const now = options.now ?? Date.now;
  const epoch = createChangeEpoch();
  const changes = new ChangeLog(options.capacity ?? defaultChangeLogCapacity);
  const waiters = new ChangeWaiters(now);
  const keyPrefix = `${secretsFolderKey(options.store, '')}/`;
  let closed = false;

  const unsubscribe = options.storage.watch((change) => {
    if (!change.key.startsWith(keyPrefix)) return;
    changes.record(change.key.slice(keyPrefix.length));
    waiters.wakeAll();
  });

  const indexOf = (counter: number): string => formatChangeIndex(epoch, counter);
  const reset = (): ChangesAnswer => ({ index: indexOf(changes.counter), paths: [], reset: true });

  async function poll(query: ChangesQuery): Promise<ChangesAnswer> {
    if (query.index === undefined) return reset();
    const start = parseChangeIndex(query.index);
    if (start.epoch !== epoch) return reset();
    const deadlineMs = now() + query.waitMs;
    const prefix = query.prefix ?? '';
    let from = start.counter;
    for (;;) {
      const changed = changes.since(from);
      if (changed === undefined) return reset();
      const to = changes.counter;
      const matching = changed.filter((path) => isUnder(path, prefix));
      if (matching.length > 0) {
        const shown = query.visible === undefined ? matching : await query.visible(matching);
        // Changes that arrived during the authorization check come with the next poll.
        if (shown.length > 0) return { index: indexOf(to), paths: [...shown].sort(compareCodeUnits), reset: false };
      }
      from = to;
      if (closed || now() >= deadlineMs) return { index: indexOf(from), paths: [], reset: false };
      if (changes.counter === from) await waiters.wait(deadlineMs, query.signal);
    }
  }

  // Every Secrets API response carries the current index: format it once per change, not per request.
  let formattedCounter = -1;
  let formattedIndex = '';
  const currentIndex = (): string => {
    if (formattedCounter !== changes.counter) {
      formattedCounter = changes.counter;
      formattedIndex = indexOf(formattedCounter);
    }
    return formattedIndex;
  };

  return {
    currentIndex,
    poll,
    get waiting() {
      return waiters.size;
    },
    get closed() {
      return closed;
    },
    close() {
      if (closed) return;
      closed = true;
      unsubscribe();
      waiters.wakeAll();
      options.log.debug({ store: options.store }, 'change feed closed');
    },
  };
}

function isUnder(path: string, prefix: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
}

function compareCodeUnits(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}
