// The HttpTransport interface over node:http / node:https, for `run`'s cold start: a process that
// makes two requests (login, one batch read) and then execs does not repay undici's start-up
// (~30 ms of module loading plus llhttp's WebAssembly compile on first connect). Same contract as
// the undici transport (http-transport.ts), checked by the same test suite: TLS verified against
// the system roots or --ca-file, one attempt, a per-request deadline, a size cap, the same error
// mapping. No pipelining: node:http cannot, and `run` needs none once its reads are one batch.
import type { Agent as HttpAgent, ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
import { createRequire } from 'node:module';
import { SecretsAgentError } from '../core/errors.js';
import { assertOptionalPositiveInteger } from './client-options.js';
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

type NodeHttp = typeof import('node:http');

// node:https pulls in node:tls; a plain-HTTP store never needs it.
const load = createRequire(import.meta.url);

// Creates the transport; reads the CA bundle now so a bad --ca-file fails at start, not on first use.
export function createNodeHttpTransport(options: HttpTransportOptions = {}): HttpTransport {
  const { timeoutMs, maxResponseBytes, ca } = resolveTransportOptions(options);
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.connections ?? defaultConnections,
    // Idle sockets are closed after this (Node's agent applies it to free sockets).
    timeout: options.keepAliveTimeoutMs ?? 4000,
  };
  const agents: { http?: HttpAgent; https?: HttpAgent } = {};
  const inFlight = new Set<ClientRequest>();
  const drained: Array<() => void> = [];
  let closing: Promise<void> | undefined;

  function agentFor(secure: boolean): { module: NodeHttp; agent: HttpAgent } {
    if (secure) {
      const https = load('node:https') as typeof import('node:https');
      // rejectUnauthorized is set explicitly: NODE_TLS_REJECT_UNAUTHORIZED=0 must not turn verification off.
      agents.https ??= new https.Agent({
        ...agentOptions,
        rejectUnauthorized: true,
        ...(ca === undefined ? {} : { ca }),
      });
      return { module: https as unknown as NodeHttp, agent: agents.https };
    }
    const http = load('node:http') as NodeHttp;
    agents.http ??= new http.Agent(agentOptions);
    return { module: http, agent: agents.http };
  }

  function request(request: HttpRequest): Promise<HttpResponse> {
    if (closing !== undefined) return Promise.reject(new SecretsAgentError('ERR_USAGE', 'the HTTP client is closed'));
    const deadlineMs = request.timeoutMs ?? timeoutMs;
    assertOptionalPositiveInteger(deadlineMs, 'timeoutMs');
    if (request.signal?.aborted === true) return Promise.reject(request.signal.reason as Error);
    const target = describeTarget(request);
    return new Promise<HttpResponse>((resolve, reject) => {
      let sent: ClientRequest | undefined;
      let settled = false;
      const settle = (error: unknown, response?: HttpResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.signal?.removeEventListener('abort', onCallerAbort);
        if (sent !== undefined) release(sent);
        if (response !== undefined) resolve(response);
        else reject(error instanceof Error ? error : new Error(String(error)));
      };
      const fail = (error: unknown): void => {
        sent?.destroy();
        settle(error instanceof SecretsAgentError ? error : mapTransportError(error, target));
      };
      const timer = setTimeout(() => {
        sent?.destroy();
        settle(
          new SecretsAgentError('ERR_TIMEOUT', `${target}: no complete answer within ${deadlineMs} ms`, {
            details: { timeoutMs: deadlineMs },
          }),
        );
      }, deadlineMs);
      const onCallerAbort = (): void => {
        sent?.destroy();
        settle(request.signal?.reason);
      };
      request.signal?.addEventListener('abort', onCallerAbort, { once: true });

      try {
        const { url } = request;
        const { module, agent } = agentFor(url.protocol === 'https:');
        const body = request.body;
        const headers: Record<string, string | number> = { ...request.headers };
        if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
        const requestOptions: RequestOptions = {
          agent,
          // WHATWG keeps IPv6 literals in brackets; node:http wants the bare address.
          hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: url.port === '' ? undefined : Number(url.port),
          method: request.method,
          path: `${url.pathname}${url.search}`,
          headers,
        };
        sent = module.request(requestOptions);
        inFlight.add(sent);
        sent.on('error', fail);
        sent.on('response', (response: IncomingMessage) =>
          readResponse(response, maxResponseBytes, target, settle, fail),
        );
        sent.end(body);
      } catch (error) {
        // Headers with characters HTTP forbids throw here, before anything is sent.
        fail(error);
      }
    });
  }

  function release(sent: ClientRequest): void {
    inFlight.delete(sent);
    if (inFlight.size === 0) for (const wake of drained.splice(0)) wake();
  }

  function destroyAgents(): void {
    agents.http?.destroy();
    agents.https?.destroy();
  }

  return {
    request,
    close() {
      closing ??= (async () => {
        if (inFlight.size > 0) await new Promise<void>((resolve) => drained.push(resolve));
        destroyAgents();
      })();
      return closing;
    },
    destroy() {
      closing ??= (async () => {
        for (const sent of inFlight) sent.destroy();
        inFlight.clear();
        destroyAgents();
      })();
      return closing;
    },
  };
}

// Reads the whole body but refuses to buffer more than `maxBytes`; the socket is dropped past it.
function readResponse(
  response: IncomingMessage,
  maxBytes: number,
  target: string,
  settle: (error: unknown, response?: HttpResponse) => void,
  fail: (error: unknown) => void,
): void {
  const chunks: Buffer[] = [];
  let total = 0;
  response.on('data', (chunk: Buffer) => {
    total += chunk.length;
    if (total > maxBytes) {
      response.destroy();
      fail(
        new SecretsAgentError('ERR_HTTP_UNEXPECTED', `${target}: response is larger than ${maxBytes} bytes`, {
          details: { maxBytes },
        }),
      );
      return;
    }
    chunks.push(chunk);
  });
  response.on('error', fail);
  response.on('end', () =>
    settle(undefined, {
      status: response.statusCode ?? 0,
      headers: response.headers,
      body: Buffer.concat(chunks, total),
    }),
  );
  // Closed before the end (a reset mid-body): unreachable, as undici reports it.
  response.on('close', () => {
    if (!response.complete) fail(Object.assign(new Error('response closed early'), { code: 'ECONNRESET' }));
  });
}
