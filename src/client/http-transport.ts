// The one HTTP layer of the project: keep-alive HTTP/1.1 connections per origin, TLS verified
// against the system roots or a CA bundle file, one attempt per request (retries belong to the
// caller), a per-request deadline, a response size cap, and network failures mapped to our codes.
// Its own small HTTP/1.1 client (http1-pool.ts, http1-response.ts) on node:net/node:tls rather
// than undici or node:http: `secrets-agent run` starts a workload, so its start-up time is the
// workload's. Loading undici (112 files) took longer than all 100 requests of a 100-secret app,
// and node:http spent ~30 ms of CPU on those 100 requests where this client spends ~5.
// node:tls is loaded only for an https origin.
import { readFileSync } from 'node:fs';
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { SecretsAgentError, isSecretsAgentError } from '../core/errors.js';
import { assertOptionalPositiveInteger } from './client-options.js';
import { createHttp1Pool, type Http1Pool } from './http1-pool.js';
import { mapTransportError } from './transport-error.js';

export type HttpMethod = 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';

export interface HttpTransportOptions {
  /** PEM bundle the server certificate must chain to (replaces the system roots). */
  caFile?: string;
  /** Connections per origin. Default 8. */
  connections?: number;
  /** How long an idle keep-alive socket is kept. Default 4000 (below Node's server default of 5 s). */
  keepAliveTimeoutMs?: number;
  /** Deadline for one request, headers and body together. Default 30_000. */
  timeoutMs?: number;
  /** Larger responses are cut off with ERR_HTTP_UNEXPECTED. Default 4 MiB (a secret is at most ~1 MiB). */
  maxResponseBytes?: number;
}

export interface HttpRequest {
  readonly method: HttpMethod;
  /** Absolute URL whose path is already percent-encoded; sent exactly as given. */
  readonly url: URL;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | string;
  /** Overrides the transport's timeoutMs for this request. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** A short GET that may share a connection with other requests in flight (HTTP/1.1
   * pipelining). Never for a long poll: everything queued behind it would wait. */
  readonly pipeline?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

export interface HttpTransport {
  /** Resolves with any status; rejects only with ERR_STORE_UNREACHABLE, ERR_TIMEOUT, ERR_TLS_CONFIG, ERR_HTTP_UNEXPECTED, ERR_INPUT_INVALID or the caller's abort reason. */
  request(request: HttpRequest): Promise<HttpResponse>;
  /** Waits for in-flight requests, then closes every socket. Safe to call twice. */
  close(): Promise<void>;
  /** Aborts in-flight requests and closes every socket now (a stop signal must not wait for a hung store). */
  destroy(): Promise<void>;
}

export const defaultTimeoutMs = 30_000;
export const defaultConnections = 8;
export const defaultMaxResponseBytes = 4 * 1024 * 1024;

// Creates the transport; reads the CA bundle now so a bad --ca-file fails at start, not on first use.
export function createHttpTransport(options: HttpTransportOptions = {}): HttpTransport {
  assertOptionalPositiveInteger(options.connections, 'connections');
  assertOptionalPositiveInteger(options.keepAliveTimeoutMs, 'keepAliveTimeoutMs');
  assertOptionalPositiveInteger(options.timeoutMs, 'timeoutMs');
  assertOptionalPositiveInteger(options.maxResponseBytes, 'maxResponseBytes');
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const maxResponseBytes = options.maxResponseBytes ?? defaultMaxResponseBytes;
  const ca = options.caFile === undefined ? undefined : readCaFile(options.caFile);
  const pools = new Map<string, Http1Pool>();
  const inFlight = new Set<{ settled: Promise<unknown>; abort: () => void }>();
  let closing: Promise<void> | undefined;

  function poolFor(url: URL): Http1Pool {
    let pool = pools.get(url.origin);
    if (pool === undefined) {
      pool = createHttp1Pool({
        connect: (signal) => connectSocket(url, ca, signal),
        maxSockets: options.connections ?? defaultConnections,
        idleTimeoutMs: options.keepAliveTimeoutMs ?? 4000,
      });
      pools.set(url.origin, pool);
    }
    return pool;
  }

  async function request(request: HttpRequest): Promise<HttpResponse> {
    if (closing !== undefined) throw new SecretsAgentError('ERR_USAGE', 'the HTTP client is closed');
    const deadlineMs = request.timeoutMs ?? timeoutMs;
    assertOptionalPositiveInteger(deadlineMs, 'timeoutMs');
    const target = describeTarget(request);
    // Built first: a header or path HTTP does not allow fails here, before any connection.
    let bytes: Buffer;
    try {
      bytes = serializeRequest(request);
    } catch (error) {
      throw mapTransportError(error, target);
    }
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(Object.assign(new Error('request deadline passed'), { code: 'ERR_REQUEST_DEADLINE' }));
    }, deadlineMs);
    const onCallerAbort = (): void => controller.abort(request.signal?.reason);
    request.signal?.addEventListener('abort', onCallerAbort, { once: true });
    if (request.signal?.aborted === true) onCallerAbort();
    const work = poolFor(request.url).send({ method: request.method, bytes, maxBodyBytes: maxResponseBytes, signal: controller.signal, pipeline: request.pipeline === true });
    const entry = { settled: work.catch(() => undefined), abort: () => controller.abort(Object.assign(new Error('the HTTP client was destroyed'), { code: 'ERR_POOL_DESTROYED' })) };
    inFlight.add(entry);
    try {
      const response = await work;
      return { status: response.status, headers: response.headers, body: response.body };
    } catch (error) {
      if (request.signal?.aborted === true && !timedOut) throw request.signal.reason;
      if (timedOut) throw new SecretsAgentError('ERR_TIMEOUT', `${target}: no complete answer within ${deadlineMs} ms`, { details: { timeoutMs: deadlineMs }, cause: error });
      if ((error as { code?: unknown }).code === 'ERR_RESPONSE_TOO_LARGE') {
        throw new SecretsAgentError('ERR_HTTP_UNEXPECTED', `${target}: response is larger than ${maxResponseBytes} bytes`, { details: { maxBytes: maxResponseBytes } });
      }
      if (isSecretsAgentError(error)) throw error;
      throw mapTransportError(error, target);
    } finally {
      inFlight.delete(entry);
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  const destroyPools = (): void => {
    for (const pool of pools.values()) pool.destroy();
  };

  return {
    request,
    close() {
      closing ??= (async () => {
        await Promise.all([...inFlight].map((entry) => entry.settled));
        destroyPools();
      })();
      return closing;
    },
    destroy() {
      closing ??= (async () => {
        for (const entry of inFlight) entry.abort();
        await Promise.all([...inFlight].map((entry) => entry.settled));
        destroyPools();
      })();
      return closing;
    },
  };
}

// A connected socket to the URL's origin. TLS: certificate chain and host name verified;
// rejectUnauthorized is set explicitly so NODE_TLS_REJECT_UNAUTHORIZED=0 cannot turn it off.
async function connectSocket(url: URL, ca: Buffer | undefined, signal: AbortSignal): Promise<Socket> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const secure = url.protocol === 'https:';
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  const tls = secure ? await import('node:tls') : undefined;
  signal.throwIfAborted();
  return new Promise<Socket>((resolve, reject) => {
    const socket: Socket = tls === undefined
      ? connectTcp({ host, port })
      : tls.connect({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...(ca === undefined ? {} : { ca }), rejectUnauthorized: true, ALPNProtocols: ['http/1.1'] });
    const connectedEvent = tls === undefined ? 'connect' : 'secureConnect';
    const cleanup = (): void => {
      socket.off(connectedEvent, onConnected).off('error', onError);
      signal.removeEventListener('abort', onAbort);
    };
    const onConnected = (): void => {
      cleanup();
      // Requests are written whole; Nagle would only hold back the last segment.
      socket.setNoDelay(true);
      resolve(socket);
    };
    const onError = (error: Error): void => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onAbort = (): void => onError(signal.reason as Error);
    socket.once(connectedEvent, onConnected).once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

// Request line, headers and body as one buffer. Throws (code ERR_INVALID_CHAR or
// ERR_INVALID_HTTP_TOKEN, as node:http does) on anything that could split the request.
function serializeRequest(request: HttpRequest): Buffer {
  const path = `${request.url.pathname}${request.url.search}`;
  if (!/^\/[\x21-\x7e]*$/.test(path)) throw Object.assign(new Error('request path holds characters HTTP does not allow'), { code: 'ERR_INVALID_CHAR' });
  const body = request.body === undefined ? undefined : typeof request.body === 'string' ? Buffer.from(request.body, 'utf8') : Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength);
  let head = `${request.method} ${path} HTTP/1.1\r\nhost: ${request.url.host}\r\n`;
  let hasLength = false;
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw Object.assign(new Error('header name holds characters HTTP does not allow'), { code: 'ERR_INVALID_HTTP_TOKEN' });
    if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) throw Object.assign(new Error('header value holds characters HTTP does not allow'), { code: 'ERR_INVALID_CHAR' });
    const lower = name.toLowerCase();
    if (lower === 'host' || lower === 'connection' || lower === 'transfer-encoding') continue;
    if (lower === 'content-length') hasLength = true;
    head += `${name}: ${value}\r\n`;
  }
  if (!hasLength && (body !== undefined || request.method === 'PUT' || request.method === 'POST' || request.method === 'PATCH')) head += `content-length: ${body?.length ?? 0}\r\n`;
  head += '\r\n';
  return body === undefined ? Buffer.from(head, 'latin1') : Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

function readCaFile(file: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (error) {
    throw new SecretsAgentError('ERR_TLS_CONFIG', `CA file ${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { details: { file }, cause: error });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new SecretsAgentError('ERR_TLS_CONFIG', `CA file ${file}: no PEM certificate (\`-----BEGIN CERTIFICATE-----\`) found`, { details: { file } });
  }
  return pem;
}

// `GET https://host:port/path` without the query: names what failed, carries no secret.
function describeTarget(request: HttpRequest): string {
  return `${request.method} ${request.url.origin}${request.url.pathname}`;
}
