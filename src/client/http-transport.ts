// The one HTTP layer of the project (the only importer of undici): a keep-alive Agent, TLS
// verified against the system roots or a CA bundle file, one attempt per request (retries belong
// to the caller), a per-request deadline, a response size cap, and network failures mapped to our codes.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';
import { SecretsAgentError, isSecretsAgentError } from '../core/errors.js';
import { assertOptionalPositiveInteger } from './client-options.js';
import { mapTransportError } from './transport-error.js';

export type HttpMethod = 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';

/** Where the store is and how to reach it: base URL, CA bundle, timeouts, connection and size limits. */
export interface HttpTransportOptions {
  /** PEM bundle the server certificate must chain to (replaces the system roots). */
  caFile?: string;
  /** Connections per origin. Default 8. */
  connections?: number;
  /**
   * Requests sent on one connection before the first answer comes back (HTTP/1.1 pipelining;
   * undici sends only idempotent ones that way). Default 1. Only for short reads made all at once:
   * a long poll on a pipelined connection would hold up the requests behind it.
   */
  pipelining?: number;
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
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** One HTTP request at a time against the store, with TLS verified and errors mapped to codes. */
export interface HttpTransport {
  /** Resolves with any status; rejects only with ERR_STORE_UNREACHABLE, ERR_TIMEOUT, ERR_TLS_CONFIG, ERR_HTTP_UNEXPECTED or the caller's abort reason. */
  request(request: HttpRequest): Promise<HttpResponse>;
  /** Waits for in-flight requests, then closes every socket. Safe to call twice. */
  close(): Promise<void>;
  /** Aborts in-flight requests and closes every socket now (a stop signal must not wait for a hung store). */
  destroy(): Promise<void>;
}

type RequestFn = (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;

// undici's index loads everything it offers (fetch, WebSocket, caches, mocks): ~70 ms of start-up
// here, against ~23 ms for the two modules we use. `run` pays start-up on every workload start,
// so we load those two directly (undici has no `exports` map; a test pins that they resolve) and
// fall back to the index should a release move them; and only when a transport is created, so
// `run`'s socket transport (socket-transport.ts) never loads undici at all.
let undici: { Agent: typeof UndiciAgent; request: RequestFn } | undefined;

function loadUndici(): { Agent: typeof UndiciAgent; request: RequestFn } {
  if (undici !== undefined) return undici;
  const require = createRequire(import.meta.url);
  try {
    undici = {
      Agent: require('undici/lib/dispatcher/agent.js') as typeof UndiciAgent,
      request: require('undici/lib/api/api-request.js') as RequestFn,
    };
  } catch {
    const index = require('undici') as typeof import('undici');
    undici = { Agent: index.Agent, request: index.Agent.prototype.request as unknown as RequestFn };
  }
  return undici;
}

export const defaultTimeoutMs = 30_000;
export const defaultConnections = 8;
export const defaultMaxResponseBytes = 4 * 1024 * 1024;

/** Creates the transport; reads the CA bundle now so a bad --ca-file fails at start, not on first use. */
export function createHttpTransport(options: HttpTransportOptions = {}): HttpTransport {
  const { timeoutMs, maxResponseBytes, ca } = resolveTransportOptions(options);
  const { Agent, request: sendRequest } = loadUndici();
  // rejectUnauthorized is set explicitly: NODE_TLS_REJECT_UNAUTHORIZED=0 must not turn verification off.
  const agent = new Agent({
    connections: options.connections ?? defaultConnections,
    pipelining: options.pipelining ?? 1,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4000,
    connect: ca === undefined ? { rejectUnauthorized: true } : { ca, rejectUnauthorized: true },
  });
  let closing: Promise<void> | undefined;

  async function request(request: HttpRequest): Promise<HttpResponse> {
    if (closing !== undefined) throw new SecretsAgentError('ERR_USAGE', 'the HTTP client is closed');
    const deadlineMs = request.timeoutMs ?? timeoutMs;
    assertOptionalPositiveInteger(deadlineMs, 'timeoutMs');
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, deadlineMs);
    const onCallerAbort = (): void => controller.abort();
    request.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const target = describeTarget(request);
    try {
      if (request.signal?.aborted === true) throw request.signal.reason;
      const response = await sendRequest.call(agent, {
        origin: request.url.origin,
        path: `${request.url.pathname}${request.url.search}`,
        method: request.method,
        headers: { ...request.headers },
        body: request.body ?? null,
        signal: controller.signal,
        headersTimeout: deadlineMs,
        bodyTimeout: deadlineMs,
      });
      const body = await readCapped(response.body, maxResponseBytes, target);
      return { status: response.statusCode, headers: response.headers, body };
    } catch (error) {
      if (request.signal?.aborted === true && !timedOut) throw request.signal.reason;
      if (timedOut)
        throw new SecretsAgentError('ERR_TIMEOUT', `${target}: no complete answer within ${deadlineMs} ms`, {
          details: { timeoutMs: deadlineMs },
          cause: error,
        });
      if (isSecretsAgentError(error)) throw error;
      throw mapTransportError(error, target);
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  return {
    request,
    close() {
      closing ??= agent.close();
      return closing;
    },
    destroy() {
      closing ??= agent.destroy();
      return closing;
    },
  };
}

/** Checks the options both transports take and resolves their defaults; reads the CA bundle now. */
export function resolveTransportOptions(options: HttpTransportOptions): {
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly ca: Buffer | undefined;
} {
  assertOptionalPositiveInteger(options.connections, 'connections');
  assertOptionalPositiveInteger(options.pipelining, 'pipelining');
  assertOptionalPositiveInteger(options.keepAliveTimeoutMs, 'keepAliveTimeoutMs');
  assertOptionalPositiveInteger(options.timeoutMs, 'timeoutMs');
  assertOptionalPositiveInteger(options.maxResponseBytes, 'maxResponseBytes');
  return {
    timeoutMs: options.timeoutMs ?? defaultTimeoutMs,
    maxResponseBytes: options.maxResponseBytes ?? defaultMaxResponseBytes,
    ca: options.caFile === undefined ? undefined : readCaFile(options.caFile),
  };
}

// Reads and checks a PEM CA bundle.
export function readCaFile(file: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (error) {
    throw new SecretsAgentError(
      'ERR_TLS_CONFIG',
      `CA file ${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      { details: { file }, cause: error },
    );
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new SecretsAgentError(
      'ERR_TLS_CONFIG',
      `CA file ${file}: no PEM certificate (\`-----BEGIN CERTIFICATE-----\`) found`,
      { details: { file } },
    );
  }
  return pem;
}

// Reads the whole body but refuses to buffer more than `maxBytes`; the socket is dropped past it.
async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(error?: Error): unknown },
  maxBytes: number,
  target: string,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) {
      body.destroy();
      throw new SecretsAgentError('ERR_HTTP_UNEXPECTED', `${target}: response is larger than ${maxBytes} bytes`, {
        details: { maxBytes },
      });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

// `GET https://host:port/path` without the query: names what failed, carries no secret.
export function describeTarget(request: HttpRequest): string {
  return `${request.method} ${request.url.origin}${request.url.pathname}`;
}
