// The daemon's local status API: HTTP over a unix socket (mode 0600, so only the daemon's user,
// root in the unit, can read task states and the ledger) serving `GET /status` (JSON) and
// `GET /metrics` (Prometheus text); optionally a TCP listener serving only `/metrics` for a
// Prometheus scraper, which never exposes /status.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { chmod, lstat, unlink } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { SecretsAgentError, toSecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { prepareSocketPath } from './status-socket.js';
import type { DaemonStatus } from './status-types.js';

const metricsContentType = 'text/plain; version=0.0.4; charset=utf-8';
const socketMode = 0o600;
// Bounded so a stuck local client cannot hold a connection forever.
const requestTimeoutMs = 10_000;

/** Anything that renders Prometheus text: the registry from src/metrics/registry.ts. */
export interface MetricsSource {
  render(): Promise<string> | string;
}

export interface StatusServerOptions {
  readonly socketPath: string;
  readonly getStatus: () => DaemonStatus | Promise<DaemonStatus>;
  readonly metrics: MetricsSource;
  /** `HOST:PORT` (`[::1]:9100` for IPv6; port 0 picks one) for an opt-in TCP /metrics listener. */
  readonly metricsListen?: string | undefined;
  readonly log: Logger;
}

export interface StatusServer {
  readonly socketPath: string;
  /** The bound TCP address of the metrics listener, when one was asked for. */
  readonly metricsAddress: { readonly host: string; readonly port: number } | undefined;
  /** Stops both listeners and removes the socket file; safe to call twice. */
  close(): Promise<void>;
}

type Route = '/status' | '/metrics';

// Starts the status API; resolves once both listeners are bound.
export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const { socketPath, log } = options;
  const metricsTarget = options.metricsListen === undefined ? undefined : parseListenAddress(options.metricsListen);
  await prepareSocketPath(socketPath);

  const unixServer = createServer(
    (request, response) => void handle(request, response, ['/status', '/metrics'], options),
  );
  await listenOnSocket(unixServer, socketPath);
  const socketInode = (await lstat(socketPath)).ino;

  let tcpServer: Server | undefined;
  let metricsAddress: StatusServer['metricsAddress'];
  if (metricsTarget !== undefined) {
    tcpServer = createServer((request, response) => void handle(request, response, ['/metrics'], options));
    try {
      const address = await listenOnTcp(tcpServer, metricsTarget.host, metricsTarget.port);
      metricsAddress = { host: address.address, port: address.port };
    } catch (error) {
      await closeServer(unixServer);
      await removeOwnSocket(socketPath, socketInode);
      throw new SecretsAgentError(
        'ERR_CONFIG_INVALID',
        `cannot listen for metrics on ${options.metricsListen}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  log.info({ socketPath, metricsAddress }, 'status API listening');

  let closing: Promise<void> | undefined;
  return {
    socketPath,
    metricsAddress,
    close() {
      closing ??= (async () => {
        await Promise.all([closeServer(unixServer), tcpServer === undefined ? undefined : closeServer(tcpServer)]);
        await removeOwnSocket(socketPath, socketInode);
      })();
      return closing;
    },
  };
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  routes: readonly Route[],
  options: StatusServerOptions,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://status').pathname;
  const route = routes.find((candidate) => candidate === path);
  try {
    if (route === undefined)
      return respondError(
        response,
        new SecretsAgentError('ERR_ROUTE_NOT_FOUND', `no route ${path}; try ${routes.join(' or ')}`),
      );
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      return respondError(response, new SecretsAgentError('ERR_METHOD_NOT_ALLOWED', `${route} answers GET only`));
    }
    if (route === '/metrics')
      return respond(response, 200, metricsContentType, await options.metrics.render(), request.method === 'HEAD');
    const status = await options.getStatus();
    return respond(response, 200, 'application/json', `${JSON.stringify(status)}\n`, request.method === 'HEAD');
  } catch (error) {
    const failure = toSecretsAgentError(error, 'status request failed');
    options.log.error({ err: failure, route: path }, 'status API request failed');
    respondError(response, failure);
  }
}

function respond(response: ServerResponse, status: number, contentType: string, body: string, headOnly = false): void {
  response.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  response.end(headOnly ? undefined : body);
}

function respondError(response: ServerResponse, error: SecretsAgentError): void {
  respond(
    response,
    error.httpStatus,
    'application/json',
    `${JSON.stringify({ code: error.code, message: error.message })}\n`,
  );
}

// The socket is created under umask 0177 so it is 0600 from its first moment (a chmod after bind
// would leave a window). listen() binds synchronously, so no other code runs under this umask.
// Worker threads cannot change the umask; there the 0700 parent directory and the chmod protect it.
async function listenOnSocket(server: Server, socketPath: string): Promise<void> {
  configureTimeouts(server);
  let previousUmask: number | undefined;
  try {
    previousUmask = process.umask(0o177);
  } catch {
    previousUmask = undefined;
  }
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path: socketPath, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
      if (previousUmask !== undefined) {
        process.umask(previousUmask);
        previousUmask = undefined;
      }
    });
  } catch (error) {
    throw new SecretsAgentError(
      (error as NodeJS.ErrnoException).code === 'EACCES' ? 'ERR_CONFIG_INVALID' : 'ERR_INTERNAL',
      `cannot listen on status socket ${socketPath}: ${(error as Error).message}`,
      { cause: error, details: { socketPath } },
    );
  } finally {
    if (previousUmask !== undefined) process.umask(previousUmask);
  }
  await chmod(socketPath, socketMode);
}

function listenOnTcp(server: Server, host: string, port: number): Promise<AddressInfo> {
  configureTimeouts(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function configureTimeouts(server: Server): void {
  server.requestTimeout = requestTimeoutMs;
  server.headersTimeout = requestTimeoutMs;
  server.keepAliveTimeout = 5000;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    // Idle keep-alive sockets would hold close() open until they time out.
    server.closeIdleConnections();
    server.closeAllConnections();
  });
}

// libuv unlinks a pipe's path when the server closes; this covers a failed start, and removes the
// file only if it is still the socket we bound.
async function removeOwnSocket(socketPath: string, inode: number): Promise<void> {
  const current = await lstat(socketPath).catch(() => undefined);
  if (current?.isSocket() === true && current.ino === inode) await unlink(socketPath).catch(() => undefined);
}

// `127.0.0.1:9100`, `[::1]:9100`, `localhost:0` → host and port.
export function parseListenAddress(value: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(value);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || !Number.isInteger(port) || port > 65_535) {
    throw new SecretsAgentError(
      'ERR_CONFIG_INVALID',
      `Expected \`--metrics-listen\` to be HOST:PORT (e.g. 127.0.0.1:9464 or [::1]:9464), got ${JSON.stringify(value)}`,
    );
  }
  return { host, port };
}
