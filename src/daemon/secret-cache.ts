// The node-wide secret cache: one copy of each value the node's tasks use, one fetch in flight
// per path however many tasks ask (single flight) and a node-wide concurrency limit. It makes one
// attempt per read: retries (with backoff, Retry-After honoured on 429/503) belong to the flow
// that asked, resolveSecrets for a task start, the change watch for a rotation. An entry is served only while it is "verified":
// the change feed (or the last poll) vouches that it is current. When the feed is lost, every
// entry becomes unverified, so a task start during an outage really asks the store (and may fall
// back to last-known-good values, which is the task's decision, not the cache's).
import { createHash } from 'node:crypto';
import { isSecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { SecretRecord, SecretSource } from '../core/secrets-api.js';
import type { DaemonMetrics } from '../metrics/daemon-metrics.js';
import { createConcurrencyLimit } from './concurrency-limit.js';

export interface CachedSecret {
  readonly record: SecretRecord;
  /** Hex SHA-256 of the value's bytes: change detection and the delivery ledger. */
  readonly sha256: string;
  readonly fetchedAtMs: number;
}

export interface SecretCacheOptions {
  readonly source: SecretSource;
  readonly maxConcurrent: number;
  readonly metrics?: DaemonMetrics;
  readonly log: Logger;
  readonly now?: () => number;
}

export interface SecretCacheStats {
  /** Reads that went to the store. */
  readonly fetched: number;
  /** Reads answered from a verified entry. */
  readonly cached: number;
  /** Reads that joined a fetch already in flight. */
  readonly deduplicated: number;
  readonly failed: number;
}

export interface SecretCache {
  /** A verified entry, else the shared fetch. Throws what the store answered (ERR_SECRET_NOT_FOUND, ...). */
  get(path: string): Promise<CachedSecret>;
  /** Fetches again (shared with other refreshes and gets of the path); `changed` compares hashes. */
  refresh(path: string): Promise<{ entry: CachedSecret; changed: boolean }>;
  /** The held entry, verified or not. */
  peek(path: string): CachedSecret | undefined;
  /** The feed was lost: the next get() of every path asks the store. */
  markUnverified(): void;
  /** The feed answers again: held entries are current (the feed reports what changed meanwhile). */
  markVerified(): void;
  /** Drops entries for paths no task uses any more. */
  prune(inUse: ReadonlySet<string>): void;
  setMaxConcurrent(limit: number): void;
  readonly stats: SecretCacheStats;
  /** A SecretSource view for resolving plans through the cache. */
  readonly source: SecretSource;
}

// Creates an empty cache over `source` (the store client).
export function createSecretCache(options: SecretCacheOptions): SecretCache {
  const { metrics } = options;
  const now = options.now ?? Date.now;
  const limit = createConcurrencyLimit(options.maxConcurrent);
  const entries = new Map<string, CachedSecret>();
  const inFlight = new Map<string, Promise<CachedSecret>>();
  let verified = new Set<string>();
  const stats = { fetched: 0, cached: 0, deduplicated: 0, failed: 0 };

  const fetchOnce = (path: string): Promise<CachedSecret> => {
    const running = inFlight.get(path);
    if (running !== undefined) {
      stats.deduplicated += 1;
      metrics?.fetches.inc({ result: 'deduplicated' });
      return running;
    }
    const started = limit
      .run(async () => {
        const startedMs = performance.now();
        try {
          return await options.source.getSecret(path);
        } finally {
          metrics?.fetchDuration.observe((performance.now() - startedMs) / 1000);
        }
      })
      .then(
        (record) => {
          const entry: CachedSecret = Object.freeze({ record, sha256: hashBytes(record.bytes), fetchedAtMs: now() });
          entries.set(path, entry);
          verified.add(path);
          stats.fetched += 1;
          metrics?.fetches.inc({ result: 'fetched' });
          return entry;
        },
        (error: unknown) => {
          stats.failed += 1;
          metrics?.fetches.inc({ result: 'failed' });
          metrics?.fetchFailures.inc({ code: codeOf(error) });
          // A deleted secret must not keep being served from the cache.
          if (isSecretsAgentError(error, 'ERR_SECRET_NOT_FOUND')) {
            entries.delete(path);
            verified.delete(path);
          }
          throw error;
        },
      )
      .finally(() => inFlight.delete(path));
    inFlight.set(path, started);
    return started;
  };

  const get = (path: string): Promise<CachedSecret> => {
    const entry = entries.get(path);
    if (entry !== undefined && verified.has(path) && !inFlight.has(path)) {
      stats.cached += 1;
      metrics?.fetches.inc({ result: 'cached' });
      return Promise.resolve(entry);
    }
    return fetchOnce(path);
  };

  return {
    get,
    async refresh(path) {
      const before = entries.get(path)?.sha256;
      // A refresh must not join a fetch that started before the change it was told about.
      const running = inFlight.get(path);
      if (running !== undefined) await running.catch(() => undefined);
      const entry = await fetchOnce(path);
      return { entry, changed: before !== entry.sha256 };
    },
    peek: (path) => entries.get(path),
    markUnverified() {
      verified = new Set();
    },
    markVerified() {
      verified = new Set(entries.keys());
    },
    prune(inUse) {
      for (const path of entries.keys()) {
        if (!inUse.has(path)) {
          entries.delete(path);
          verified.delete(path);
        }
      }
    },
    setMaxConcurrent(next) {
      limit.setLimit(next);
    },
    get stats() {
      return { ...stats };
    },
    source: {
      async getSecret(path) {
        return (await get(path)).record;
      },
    },
  };
}

// Hex SHA-256 of a value: what the ledger records instead of the value.
export function hashBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function codeOf(error: unknown): string {
  return isSecretsAgentError(error) ? error.code : 'ERR_INTERNAL';
}
