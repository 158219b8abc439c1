// The HttpTransport interface as HTTP/1.1 written and read by hand over node:net / node:tls, for
// `run`'s cold start (issue 13): a process that makes one or two requests and then execs. node:http
// costs such a process about 3.5 ms more than node:net alone (its modules, ClientRequest, the
// agent and IncomingMessage are parsed and compiled in every process; docs/benchmarks.md), which
// is more than the requests themselves. Same contract as the undici transport (http-transport.ts)
// and the same test suite: TLS verified against the system roots or --ca-file, one attempt (a
// request that found a kept-alive connection closed under it, unanswered, is sent once more on a
// new one when it is idempotent), a per-request deadline, a size cap and the same error mapping.
// Responses are read by http1-response-reader.ts. No pipelining: one request per connection at a time.
import type { Socket } from 'node:net';
import { SecretsAgentError } from '../core/errors.js';
import { loadNet, loadTls } from '../core/lazy-builtins.js';
import { assertOptionalPositiveInteger } from './client-options.js';
import {
  ResponseFormatError,
  ResponseTooLargeError,
  createResponseReader,
  type ReadResponse,
} from './http1-response-reader.js';
import {
  defaultConnections,
  describeTarget,
  resolveTransportOptions,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
  type HttpTransportOptions,
} from './http-transport.js';
import { mapTransportError } from './transport-error.js';

const tokenPattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// What Node's own HTTP client accepts in a field value: no CR, LF, NUL or other controls but tab.
const invalidValuePattern = /[^\t\x20-\x7e\x80-\xff]/;
const invalidTargetPattern = /[^\x21-\x7e]/;
// Set by the transport itself; a caller's copy would make a second, conflicting field.
const ownHeaders = new Set(['host', 'content-length', 'connection', 'transfer-encoding']);
const idempotentMethods = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

interface Connection {
  readonly socket: Socket;
  readonly origin: string;
  /** Whether a request was already answered on it (a kept-alive connection the server may have closed). */
  reused: boolean;
  /** The exchange using it; undefined while idle. */
  exchange: Exchange | undefined;
  idleTimer: NodeJS.Timeout | undefined;
}

interface Exchange {
  onData(chunk: Buffer): void;
  onError(error: Error): void;
  onClose(): void;
  abort(): void;
}

interface Pool {
  open: number;
  readonly idle: Connection[];
  readonly waiting: Array<() => void>;
}

// Creates the transport; reads the CA bundle now so a bad --ca-file fails at start, not on first use.
export function createSocketTransport(options: HttpTransportOptions = {}): HttpTransport {
  const { timeoutMs, maxResponseBytes, ca } = resolveTransportOptions(options);
  const maxConnections = options.connections ?? defaultConnections;
  const keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? 4000;
  const pools = new Map<string, Pool>();
  const inFlight = new Set<Exchange>();
  const drained: Array<() => void> = [];
  let closing: Promise<void> | undefined;

  function poolFor(origin: string): Pool {
    let pool = pools.get(origin);
    if (pool === undefined) {
      pool = { open: 0, idle: [], waiting: [] };
      pools.set(origin, pool);
    }
    return pool;
  }

  function connect(url: URL): Connection {
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const secure = url.protocol === 'https:';
    const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
    let socket: Socket;
    if (secure) {
      // node:tls only for an https store; both only once a connection opens.
      const tls = loadTls();
      // rejectUnauthorized is set explicitly: NODE_TLS_REJECT_UNAUTHORIZED=0 must not turn verification off.
      socket = tls.connect({
        host,
        port,
        ...(loadNet().isIP(host) === 0 ? { servername: host } : {}),
        rejectUnauthorized: true,
        ALPNProtocols: ['http/1.1'],
        ...(ca === undefined ? {} : { ca }),
      });
    } else {
      socket = loadNet().connect({ host, port });
    }
    socket.setNoDelay(true);
    const connection: Connection = {
      socket,
      origin: url.origin,
      reused: false,
      exchange: undefined,
      idleTimer: undefined,
    };
    socket.on('data', (chunk: Buffer) => {
      if (connection.exchange !== undefined) connection.exchange.onData(chunk);
      // Bytes nobody asked for: the connection is out of step and is not used again.
      else socket.destroy();
    });
    socket.on('error', (error: Error) => connection.exchange?.onError(error));
    socket.on('close', () => {
      clearTimeout(connection.idleTimer);
      const pool = poolFor(connection.origin);
      pool.open -= 1;
      const at = pool.idle.indexOf(connection);
      if (at !== -1) pool.idle.splice(at, 1);
      connection.exchange?.onClose();
      pool.waiting.shift()?.();
    });
    return connection;
  }

  // An idle connection of the origin, a new one under the limit, or one once it is free.
  async function acquire(url: URL, fresh: boolean): Promise<Connection> {
    const pool = poolFor(url.origin);
    for (;;) {
      if (closing !== undefined) throw new SecretsAgentError('ERR_USAGE', 'the HTTP client is closed');
      const idle = fresh ? undefined : pool.idle.pop();
      if (idle !== undefined) {
        clearTimeout(idle.idleTimer);
        idle.socket.ref();
        return idle;
      }
      if (pool.open < maxConnections) {
        pool.open += 1;
        return connect(url);
      }
      // A fresh connection for a retry may also take the place of an idle one.
      if (fresh && pool.idle.length > 0) {
        (pool.idle.shift() as Connection).socket.destroy();
        await new Promise<void>((resolve) => pool.waiting.push(resolve));
        continue;
      }
      await new Promise<void>((resolve) => pool.waiting.push(resolve));
    }
  }

  // Back to the pool (kept alive, not holding the process open) or closed.
  function release(connection: Connection, reusable: boolean): void {
    connection.exchange = undefined;
    const pool = poolFor(connection.origin);
    if (!reusable || closing !== undefined || connection.socket.destroyed) {
      connection.socket.destroy();
      return;
    }
    connection.reused = true;
    connection.socket.unref();
    connection.idleTimer = setTimeout(() => connection.socket.destroy(), keepAliveTimeoutMs);
    connection.idleTimer.unref();
    pool.idle.push(connection);
    pool.waiting.shift()?.();
  }

  // One attempt on one connection; settles with `retry()` instead of failing when the connection
  // was a kept-alive one that closed before any answer and the request may safely be sent again.
  function exchangeOn(
    connection: Connection,
    request: HttpRequest,
    bytes: Buffer,
    deadlineMs: number,
    target: string,
    retry: (() => Promise<HttpResponse>) | undefined,
  ): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      const reader = createResponseReader(request.method, maxResponseBytes);
      let settled = false;
      const settle = (error: unknown, response?: ReadResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onCallerAbort);
        inFlight.delete(exchange);
        if (inFlight.size === 0) for (const wake of drained.splice(0)) wake();
        if (response !== undefined) {
          release(connection, response.reusable);
          resolve({ status: response.status, headers: response.headers, body: response.body });
          return;
        }
        connection.exchange = undefined;
        connection.socket.destroy();
        reject(error instanceof Error ? error : new Error(String(error)));
      };
      const failUnanswered = (error: unknown): void => {
        if (retry !== undefined && connection.reused && !reader.started && !settled) {
          settled = true;
          clearTimeout(timer);
          request.signal?.removeEventListener('abort', onCallerAbort);
          inFlight.delete(exchange);
          connection.exchange = undefined;
          connection.socket.destroy();
          resolve(retry());
          return;
        }
        settle(mapReadError(error, target));
      };
      const exchange: Exchange = {
        onData(chunk) {
          try {
            const response = reader.push(chunk);
            if (response !== undefined) settle(undefined, response);
          } catch (error) {
            settle(mapReadError(error, target));
          }
        },
        onError: failUnanswered,
        onClose() {
          if (settled) return;
          try {
            settle(undefined, reader.end());
          } catch (error) {
            failUnanswered(error);
          }
        },
        abort() {
          settle(mapReadError(Object.assign(new Error('request destroyed'), { code: 'ECONNABORTED' }), target));
        },
      };
      const timer = setTimeout(
        () =>
          settle(
            new SecretsAgentError('ERR_TIMEOUT', `${target}: no complete answer within ${deadlineMs} ms`, {
              details: { timeoutMs: deadlineMs },
            }),
          ),
        deadlineMs,
      );
      const onCallerAbort = (): void => settle(request.signal?.reason);
      inFlight.add(exchange);
      connection.exchange = exchange;
      // The caller may have given up while a connection was being found.
      if (request.signal?.aborted === true) {
        onCallerAbort();
        return;
      }
      request.signal?.addEventListener('abort', onCallerAbort, { once: true });
      connection.socket.write(bytes);
    });
  }

  async function request(request: HttpRequest): Promise<HttpResponse> {
    if (closing !== undefined) throw new SecretsAgentError('ERR_USAGE', 'the HTTP client is closed');
    const deadlineMs = request.timeoutMs ?? timeoutMs;
    assertOptionalPositiveInteger(deadlineMs, 'timeoutMs');
    if (request.signal?.aborted === true) throw request.signal.reason as Error;
    const target = describeTarget(request);
    let bytes: Buffer;
    try {
      bytes = serializeRequest(request);
    } catch (error) {
      // Characters HTTP forbids: refused before anything is sent.
      throw mapTransportError(error, target);
    }
    const startedMs = Date.now();
    const attempt = async (fresh: boolean): Promise<HttpResponse> => {
      const connection = await acquire(request.url, fresh);
      const remainingMs = Math.max(1, deadlineMs - (Date.now() - startedMs));
      const canRetry = !fresh && idempotentMethods.has(request.method);
      return exchangeOn(connection, request, bytes, remainingMs, target, canRetry ? () => attempt(true) : undefined);
    };
    return attempt(false);
  }

  function destroyConnections(): void {
    for (const pool of pools.values()) for (const connection of [...pool.idle]) connection.socket.destroy();
  }

  return {
    request,
    close() {
      closing ??= (async () => {
        if (inFlight.size > 0) await new Promise<void>((resolve) => drained.push(resolve));
        destroyConnections();
        for (const pool of pools.values()) for (const wake of pool.waiting.splice(0)) wake();
      })();
      return closing;
    },
    destroy() {
      closing ??= (async () => {
        for (const exchange of [...inFlight]) exchange.abort();
        destroyConnections();
        for (const pool of pools.values()) for (const wake of pool.waiting.splice(0)) wake();
      })();
      return closing;
    },
  };
}

// The request head (and body) as bytes; throws, with Node's codes, on a field or target HTTP
// forbids. The values never enter the message.
export function serializeRequest(request: HttpRequest): Buffer {
  const target = `${request.url.pathname}${request.url.search}`;
  if (target === '' || invalidTargetPattern.test(target))
    throw Object.assign(new TypeError('Request path contains unescaped characters'), {
      code: 'ERR_UNESCAPED_CHARACTERS',
    });
  let head = `${request.method} ${target} HTTP/1.1\r\nhost: ${request.url.host}\r\n`;
  const headers = request.headers ?? {};
  for (const name in headers) {
    if (!Object.hasOwn(headers, name)) continue;
    const value = headers[name] as string;
    if (!tokenPattern.test(name))
      throw Object.assign(new TypeError('Header name must be a valid HTTP token'), { code: 'ERR_INVALID_HTTP_TOKEN' });
    if (invalidValuePattern.test(value))
      throw Object.assign(new TypeError('Invalid character in header content'), { code: 'ERR_INVALID_CHAR' });
    if (ownHeaders.has(name.toLowerCase())) continue;
    head += `${name}: ${value}\r\n`;
  }
  const body =
    request.body === undefined
      ? undefined
      : typeof request.body === 'string'
        ? Buffer.from(request.body)
        : request.body;
  if (body !== undefined || request.method === 'POST' || request.method === 'PUT' || request.method === 'PATCH')
    head += `content-length: ${body?.length ?? 0}\r\n`;
  head += '\r\n';
  const headBytes = Buffer.from(head, 'latin1');
  return body === undefined || body.length === 0 ? headBytes : Buffer.concat([headBytes, body]);
}

// The reader's own failures to our codes; socket errors through the shared mapping.
function mapReadError(error: unknown, target: string): SecretsAgentError {
  if (error instanceof SecretsAgentError) return error;
  if (error instanceof ResponseTooLargeError)
    return new SecretsAgentError('ERR_HTTP_UNEXPECTED', `${target}: ${error.message}`, {
      details: { maxBytes: error.maxBytes },
    });
  if (error instanceof ResponseFormatError)
    return new SecretsAgentError('ERR_HTTP_UNEXPECTED', `${target}: malformed HTTP response (${error.message})`, {
      cause: error,
    });
  return mapTransportError(error, target);
}
