// The store's Prometheus metrics, on prom-client: requests by route pattern, method and status with
// a latency histogram, seal state, storage errors, storage connection state (ZooKeeper), and
// prom-client's process metrics (RSS, open fds, event-loop lag, heap). Route labels are route
// patterns (`/secrets/v1/secret/:store/*path`), never request paths, so the series stay few and a
// secret's name never becomes a label. Per request: one child lookup per metric and an observe.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StorageBackend } from './storage/backend.js';

const knownMethods = new Set(['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS']);

/** The rid that lets a non-superuser read GET /metrics (action `read`). */
export const metricsRid = 'dcos:secrets:metrics';

export interface StoreMetrics {
  readonly registry: Registry;
  /** Records one answered request; `errorCode` is the SecretsAgentError code when it failed. */
  observeRequest(route: string, method: string, status: number, seconds: number, errorCode?: string): void;
  /** The Prometheus text of every metric. */
  render(): Promise<string>;
}

export interface StoreMetricsOptions {
  readonly storage: StorageBackend;
  /** Whether the store is sealed now (read at scrape time). */
  readonly sealed: () => boolean;
}

// Creates the store's registry with its metrics and prom-client's default process collectors.
export function createStoreMetrics(options: StoreMetricsOptions): StoreMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'secret_store_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'secret_store_request_duration_seconds',
    help: 'Time from request to answer, by route pattern and method, in seconds.',
    labelNames: ['route', 'method'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60],
    registers: [registry],
  });
  const storageErrors = new Counter({
    name: 'secret_store_storage_errors_total',
    help: 'Requests that failed in the storage backend, by error code.',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'secret_store_sealed',
    help: '1 while the store is sealed, else 0.',
    registers: [registry],
    collect() {
      this.set(options.sealed() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'secret_store_storage_connected',
    help: 'Whether the storage backend is connected (ZooKeeper session state; file storage: always 1), by driver.',
    labelNames: ['driver'] as const,
    registers: [registry],
    collect() {
      this.set({ driver: options.storage.driver }, options.storage.connected?.() === false ? 0 : 1);
    },
  });
  return {
    registry,
    observeRequest(route, method, status, seconds, errorCode) {
      // A client picks the method: only known ones become label values.
      const verb = knownMethods.has(method) ? method : 'other';
      requests.inc({ route, method: verb, status });
      duration.observe({ route, method: verb }, seconds);
      if (errorCode?.startsWith('ERR_STORAGE_') === true) storageErrors.inc({ code: errorCode });
    },
    render: () => registry.metrics(),
  };
}
