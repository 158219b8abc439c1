// Where rotation notices come from. With a store that has the change feed, a long poll
// (src/client/change-feed.ts) pushes changed paths within a round trip. When the feed fails (store
// down), the cache stops trusting its entries and a resync loop re-reads every path in use with
// backoff until the store answers again; that also clears tasks' last-known-good state. A store
// without the feed (a real DC/OS store, 404) and the embedded store are polled every
// `pollIntervalMs`, comparing content hashes.
import { setTimeout as delay } from 'node:timers/promises';
import { fullJitterDelayMs, resolveBackoff } from '../core/backoff.js';
import { toSecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { HttpTransport } from '../client/http-transport.js';
import type { TokenProvider } from '../client/token-provider.js';
import { watchSecretChanges } from '../client/change-feed.js';
import type { StoreFeed } from './status-types.js';

export interface ChangeWatchOptions {
  /** The HTTP store, or undefined for the embedded store (polled). */
  readonly remote?:
    { readonly url: string; readonly transport: HttpTransport; readonly tokens: TokenProvider } | undefined;
  readonly pollIntervalMs: () => number;
  readonly changeWaitMs: number;
  /** Re-reads `paths` (or all in use) and lets tasks react; throws when the store could not be read. */
  readonly applyChanges: (paths: readonly string[] | 'all') => Promise<void>;
  /** The feed was lost: cached values are not to be trusted any more. */
  readonly onFeedLost: () => void;
  readonly log: Logger;
}

export interface ChangeWatch {
  readonly feed: StoreFeed;
  readonly lastError: string | undefined;
  /** Re-reads everything now (SIGHUP). */
  resync(): void;
  close(): Promise<void>;
}

const resyncBackoff = resolveBackoff({ baseDelayMs: 500, maxDelayMs: 30_000 });

export function startChangeWatch(options: ChangeWatchOptions): ChangeWatch {
  const { log } = options;
  const abort = new AbortController();
  let feed: StoreFeed = options.remote === undefined ? 'poll' : 'change-feed';
  let lastError: string | undefined;
  let resyncing: Promise<void> | undefined;
  let pollTimer: NodeJS.Timeout | undefined;

  const noteError = (error: unknown): void => {
    const failure = toSecretsAgentError(error);
    lastError = `${failure.code}: ${failure.message}`;
  };

  // Re-reads every path in use until one round succeeds.
  const resync = (): Promise<void> => {
    resyncing ??= (async () => {
      for (let attempt = 0; !abort.signal.aborted; attempt += 1) {
        try {
          await options.applyChanges('all');
          lastError = undefined;
          return;
        } catch (error) {
          noteError(error);
          const delayMs = fullJitterDelayMs(Math.min(attempt, 30), resyncBackoff);
          log.warn({ err: error, delayMs }, 'store not readable; trying again');
          await sleep(delayMs, abort.signal);
        }
      }
    })().finally(() => {
      resyncing = undefined;
    });
    return resyncing;
  };

  const poll = (): void => {
    if (abort.signal.aborted) return;
    void resync().finally(() => {
      if (!abort.signal.aborted) pollTimer = setTimeout(poll, options.pollIntervalMs());
    });
  };

  const startPolling = (): void => {
    feed = 'poll';
    pollTimer = setTimeout(poll, options.pollIntervalMs());
  };

  let watching: Promise<void> = Promise.resolve();
  if (options.remote === undefined) {
    startPolling();
  } else {
    const remote = options.remote;
    let lost = false;
    watching = watchSecretChanges({
      url: remote.url,
      transport: remote.transport,
      tokenProvider: remote.tokens,
      waitMs: options.changeWaitMs,
      signal: abort.signal,
      log,
      async onChanges(paths, { reset }) {
        await options.applyChanges(reset ? 'all' : paths);
        lastError = undefined;
      },
      onError(error) {
        noteError(error);
        if (lost) return;
        lost = true;
        options.onFeedLost();
        // The feed only speaks when something changes; the resync finds out when the store is back.
        void resync().finally(() => {
          lost = false;
        });
      },
    }).then((result) => {
      if (result.outcome === 'unsupported' && !abort.signal.aborted) {
        log.info({ pollIntervalMs: options.pollIntervalMs() }, 'store has no change feed; polling secrets');
        startPolling();
      }
    });
  }

  let closing: Promise<void> | undefined;
  return {
    get feed() {
      return feed;
    },
    get lastError() {
      return lastError;
    },
    resync() {
      void resync();
    },
    close() {
      closing ??= (async () => {
        abort.abort();
        if (pollTimer !== undefined) clearTimeout(pollTimer);
        await watching.catch(() => undefined);
        await resyncing?.catch(() => undefined);
      })();
      return closing;
    },
  };
}

// Waits `ms`, or less when `signal` aborts; never rejects.
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}
