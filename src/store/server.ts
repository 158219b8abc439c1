// The Secret Store HTTP server: the DC/OS Secrets API (`/secrets/v1/...`) over one store, plus
// whatever extra routes the caller plugs in (the IAM's), behind the caller's access control.
import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { SecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { describeValue } from '../config/describe-value.js';
import type { AccessControl } from './http/access.js';
import { createRouter, type Route } from './http/router.js';
import { secretsIndexHeader, setSecretsIndex } from './http/respond.js';
import type { StorageBackend } from './storage/backend.js';
import type { InitializeOptions } from './seal-manager.js';
import { createChangeFeed, type ChangeFeed } from './changes/change-feed.js';
import { createBatchRoutes } from './routes/batch.js';
import { createChangeRoutes } from './routes/changes.js';
import { openSecretStore, type SecretStore } from './secret-store.js';
import { createPingRoutes } from './routes/ping.js';
import { createSealRoutes } from './routes/seal.js';
import { createSecretRoutes } from './routes/secrets.js';
import { createStoreRoutes } from './routes/stores.js';
import { createUiRoutes } from './routes/ui.js';
import { createMetricsRoutes, listenForMetrics, type MetricsListener } from './routes/metrics.js';
import { createStoreMetrics } from './store-metrics.js';

/** On every Secrets API response: the change feed index as of the start of the request. */
export { secretsIndexHeader };

export interface StoreServerOptions {
  readonly storage: StorageBackend;
  readonly access: AccessControl;
  /** Extra routes (e.g. the IAM's), matched after the Secrets API's. */
  readonly routes?: readonly Route[];
  readonly log: Logger;
  readonly listen: { readonly host: string; readonly port: number };
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** Names this instance's seal intent in shared storage. Default `default`. */
  readonly instanceId?: string;
  /** How to initialize on first start; default `{}` (generate a bootstrap keypair). false: wait for PUT /init. */
  readonly initialize?: InitializeOptions | false;
  /** Auto-unseal at start when possible. Default true. */
  readonly autoUnseal?: boolean;
  /** Request body cap for secret writes; default 2 MiB. */
  readonly maxBodyBytes?: number;
  /** Delay before in-flight requests are cut at close; default 5000. */
  readonly closeGraceMs?: number;
  /** Prometheus metrics (off by default): GET /metrics for a superuser or `dcos:secrets:metrics`
   * read; with `listen`, also a second listener serving only /metrics without a token. */
  readonly metrics?: { readonly listen?: { readonly host: string; readonly port: number } | undefined };
}

export interface StoreServer {
  /** `http://host:port` or `https://host:port`, with the bound port. */
  readonly url: string;
  /** The unauthenticated metrics listener's URL, when `metrics.listen` was given. */
  readonly metricsUrl?: string;
  readonly store: SecretStore;
  /** The change feed (`GET /secrets/v1/changes/{store}`). */
  readonly changes: ChangeFeed;
  /** Stops listening, closes idle keep-alive sockets, wipes keys. Safe to call twice. Leaves the storage open. */
  close(): Promise<void>;
}

// Opens the store (initializing and auto-unsealing as asked), then listens; logs one line with the URL.
export async function createStoreServer(options: StoreServerOptions): Promise<StoreServer> {
  const { host, port } = parseListen(options.listen);
  const closeGraceMs = options.closeGraceMs ?? 5000;
  assertNonNegativeInteger(closeGraceMs, 'closeGraceMs');
  if (options.maxBodyBytes !== undefined) assertNonNegativeInteger(options.maxBodyBytes, 'maxBodyBytes');
  const tls = options.tls === undefined ? undefined : await readTlsFiles(options.tls);
  const initialize = options.initialize ?? {};

  const store = await openSecretStore({
    storage: options.storage,
    log: options.log,
    initialize,
    ...(options.instanceId === undefined ? {} : { instanceId: options.instanceId }),
    ...(options.autoUnseal === undefined ? {} : { autoUnseal: options.autoUnseal }),
  });
  const changes = createChangeFeed({ storage: options.storage, store: store.name, log: options.log });
  const metrics =
    options.metrics === undefined
      ? undefined
      : createStoreMetrics({ storage: options.storage, sealed: () => store.seal.sealed });
  const routes: Route[] = [
    ...createPingRoutes({ store }),
    ...createChangeRoutes({ store, feed: changes, access: options.access }),
    ...createSecretRoutes({
      store,
      ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }),
    }),
    ...createBatchRoutes({ store }),
    ...createSealRoutes({
      store,
      ...(initialize !== false && initialize.keyPair !== undefined
        ? { initDefaults: { keyPair: initialize.keyPair } }
        : {}),
    }),
    ...createStoreRoutes({ store }),
    ...(metrics === undefined ? [] : createMetricsRoutes({ metrics })),
    ...(options.routes ?? []),
    ...createUiRoutes({ access: options.access }),
  ];
  const router = createRouter({
    routes,
    access: options.access,
    log: options.log,
    ...(metrics === undefined ? {} : { observe: metrics.observeRequest }),
  });
  // Taken before the handler runs: a client that watches from this index misses no change made
  // after its read (at worst it hears once about a change the read already saw).
  const listener: typeof router = (req, res) => {
    if (req.url?.startsWith('/secrets/v1/') === true) setSecretsIndex(res, changes.currentIndex());
    router(req, res);
  };
  const server: Server = tls === undefined ? createHttpServer(listener) : createHttpsServer(tls, listener);

  const metricsAt = options.metrics?.listen;
  let metricsListener: MetricsListener | undefined;
  try {
    if (metrics !== undefined && metricsAt !== undefined)
      metricsListener = await listenForMetrics(metrics, metricsAt.host, metricsAt.port);
    await listen(server, host, port);
  } catch (error) {
    await metricsListener?.close();
    changes.close();
    await store.close();
    throw new SecretsAgentError(
      'ERR_CONFIG_INVALID',
      `cannot listen on ${metricsListener === undefined && metricsAt !== undefined ? `${metricsAt.host}:${metricsAt.port} (metrics)` : `${host}:${port}`}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      { cause: error },
    );
  }
  const address = server.address() as AddressInfo;
  const url = `${tls === undefined ? 'http' : 'https'}://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  options.log.info(
    {
      url,
      instanceId: store.seal.instanceId,
      sealed: store.seal.sealed,
      driver: options.storage.driver,
      ...(metricsListener === undefined ? {} : { metricsUrl: metricsListener.url }),
    },
    'secret store listening',
  );

  let closing: Promise<void> | undefined;
  return {
    url,
    ...(metricsListener === undefined ? {} : { metricsUrl: metricsListener.url }),
    store,
    changes,
    close() {
      closing ??= (async () => {
        await metricsListener?.close();
        // Parked long polls answer now (nothing changed) instead of holding the close for the grace period.
        const stopped = stopServer(server, closeGraceMs);
        changes.close();
        await stopped;
        await store.close();
        options.log.info({ instanceId: store.seal.instanceId }, 'secret store stopped');
      })();
      return closing;
    },
  };
}

function parseListen(listen: StoreServerOptions['listen']): { host: string; port: number } {
  if (typeof listen !== 'object' || listen === null)
    throw new SecretsAgentError(
      'ERR_CONFIG_INVALID',
      `Expected \`listen\` to be {host, port}, got ${describeValue(listen)}`,
    );
  if (typeof listen.host !== 'string' || listen.host === '')
    throw new SecretsAgentError(
      'ERR_CONFIG_INVALID',
      `Expected \`listen.host\` to be a non-empty string, got ${describeValue(listen.host)}`,
    );
  if (!Number.isInteger(listen.port) || listen.port < 0 || listen.port > 65535) {
    throw new SecretsAgentError(
      'ERR_CONFIG_INVALID',
      `Expected \`listen.port\` to be an integer from 0 to 65535, got ${describeValue(listen.port)}`,
    );
  }
  return { host: listen.host, port: listen.port };
}

function assertNonNegativeInteger(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0)
    throw new SecretsAgentError(
      'ERR_CONFIG_INVALID',
      `Expected \`${name}\` to be a non-negative integer, got ${describeValue(value)}`,
    );
}

async function readTlsFiles(tls: NonNullable<StoreServerOptions['tls']>): Promise<{ cert: Buffer; key: Buffer }> {
  const read = async (file: string, flag: string): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch (error) {
      throw new SecretsAgentError(
        'ERR_TLS_CONFIG',
        `${flag} ${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
        { cause: error },
      );
    }
  };
  const cert = await read(tls.certFile, '--tls-cert');
  const key = await read(tls.keyFile, '--tls-key');
  try {
    // Fails early on a key that does not match the certificate, before anything listens.
    createHttpsServer({ cert, key }).close();
  } catch (error) {
    throw new SecretsAgentError(
      'ERR_TLS_CONFIG',
      `--tls-cert ${tls.certFile} / --tls-key ${tls.keyFile}: unusable certificate or key`,
      { cause: error },
    );
  }
  return { cert, key };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

// Stops accepting, drops idle keep-alive sockets now and busy ones after the grace period.
function stopServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
