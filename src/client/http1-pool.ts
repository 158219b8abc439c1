// Keep-alive HTTP/1.1 connections to one origin: at most `maxSockets` open, idle ones reused,
// unref'd (an idle socket does not keep the process alive), and closed after `idleTimeoutMs`.
// Pipelining (RFC 9112 §9.3.2) only for GETs that ask for it (short reads such as a secret, never
// a long poll, which would hold up everything queued behind it), only on a connection that has
// already kept itself alive once, and at most `maxPipelineDepth` deep: `run` reads 100 secrets
// in about a third of the time, since a round trip per request, not CPU, was what it waited for.
// A request whose answer had not begun when its connection failed is sent once more on a new
// connection if it is idempotent: the keep-alive race (the server closed an idle socket as we
// sent on it), or a server that closes a pipelined connection early.
import type { Socket } from 'node:net';
import { createResponseParser, type ParsedResponse, type ResponseParser } from './http1-response.js';

export interface Http1PoolOptions {
  /** Opens a socket to the origin (TLS included), resolving once it is connected; `signal` gives up. */
  readonly connect: (signal: AbortSignal) => Promise<Socket>;
  readonly maxSockets: number;
  readonly idleTimeoutMs: number;
  /** Requests in flight on one connection when pipelining. Default 8. */
  readonly maxPipelineDepth?: number;
}

export interface Http1Exchange {
  readonly method: string;
  /** The whole request: head and body. */
  readonly bytes: Buffer;
  readonly maxBodyBytes: number;
  readonly signal: AbortSignal;
  /** May share a connection with other requests in flight (honoured for GET only). */
  readonly pipeline?: boolean;
}

export interface Http1Pool {
  send(exchange: Http1Exchange): Promise<ParsedResponse>;
  /** Closes every socket now; requests in flight fail. */
  destroy(): void;
}

const idempotentMethods = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const defaultMaxPipelineDepth = 8;

interface Pending {
  readonly exchange: Http1Exchange;
  readonly resolve: (response: ParsedResponse) => void;
  readonly reject: (error: Error) => void;
  /** Sent once already and lost with its connection: not sent a third time. */
  resent: boolean;
  onAbort?: (() => void) | undefined;
}

interface Connection {
  readonly socket: Socket;
  /** Written, waiting for their answers, in order. */
  readonly inFlight: Pending[];
  parser: ResponseParser | undefined;
  /** Answers completed with keep-alive: pipelining starts after the first. */
  served: number;
  /** Took its last request: closes once the answers in flight are in. */
  draining: boolean;
  closed: boolean;
}

export function createHttp1Pool(options: Http1PoolOptions): Http1Pool {
  const maxDepth = options.maxPipelineDepth ?? defaultMaxPipelineDepth;
  const connections = new Set<Connection>();
  const waiting: Pending[] = [];
  let opening = 0;
  let destroyed = false;

  const canPipeline = (pending: Pending): boolean => pending.exchange.pipeline === true && pending.exchange.method === 'GET';

  // Gives waiting requests a connection: an idle one, a new one, or a pipelined place.
  function dispatch(): void {
    for (let index = 0; index < waiting.length; ) {
      const pending = waiting[index] as Pending;
      if (pending.exchange.signal.aborted) {
        waiting.splice(index, 1);
        continue;
      }
      const target = chooseConnection(pending);
      if (target === 'open') {
        waiting.splice(index, 1);
        void openAndSend(pending);
      } else if (target !== undefined) {
        waiting.splice(index, 1);
        write(target, pending);
      } else {
        index += 1;
      }
    }
  }

  function chooseConnection(pending: Pending): Connection | 'open' | undefined {
    let best: Connection | undefined;
    for (const connection of connections) {
      if (!connection.closed && !connection.draining && connection.inFlight.length === 0) best = connection;
    }
    if (best !== undefined) return best;
    if (connections.size + opening < options.maxSockets) return 'open';
    if (!canPipeline(pending)) return undefined;
    for (const connection of connections) {
      if (connection.closed || connection.draining || connection.served === 0 || connection.inFlight.length >= maxDepth) continue;
      if (!connection.inFlight.every(canPipeline)) continue;
      if (best === undefined || connection.inFlight.length < best.inFlight.length) best = connection;
    }
    return best;
  }

  async function openAndSend(pending: Pending): Promise<void> {
    opening += 1;
    let socket: Socket;
    try {
      socket = await options.connect(pending.exchange.signal);
    } catch (error) {
      opening -= 1;
      pending.reject(error as Error);
      dispatch();
      return;
    }
    opening -= 1;
    if (destroyed) {
      socket.destroy();
      pending.reject(poolClosed());
      return;
    }
    const connection: Connection = { socket, inFlight: [], parser: undefined, served: 0, draining: false, closed: false };
    connections.add(connection);
    socket.on('data', (chunk: Buffer) => onData(connection, chunk));
    socket.on('end', () => onClosed(connection, undefined));
    socket.on('close', () => onClosed(connection, undefined));
    socket.on('error', (error: Error) => onClosed(connection, error));
    // Closed after idleTimeoutMs without traffic, if idle then (a long poll is quiet too). Not
    // setTimeout's callback argument: that listens once, and a quiet long poll would use it up.
    socket.setTimeout(options.idleTimeoutMs);
    socket.on('timeout', () => {
      if (connection.inFlight.length === 0) closeConnection(connection);
    });
    write(connection, pending);
    dispatch();
  }

  function write(connection: Connection, pending: Pending): void {
    if (connection.inFlight.length === 0) {
      connection.socket.ref();
      connection.parser = createResponseParser({ method: pending.exchange.method, maxBodyBytes: pending.exchange.maxBodyBytes });
    }
    connection.inFlight.push(pending);
    // Aborting a request cuts its connection: HTTP/1.1 has no other way to take a request back.
    pending.onAbort = () => failConnection(connection, pending.exchange.signal.reason as Error, pending);
    // Requests written in the same turn of the event loop leave in one write (one syscall).
    if (connection.socket.writableCorked === 0) {
      connection.socket.cork();
      process.nextTick(() => connection.socket.uncork());
    }
    connection.socket.write(pending.exchange.bytes);
  }

  function settle(pending: Pending): void {
    pending.onAbort = undefined;
  }

  function onData(connection: Connection, chunk: Buffer): void {
    let bytes = chunk;
    while (bytes.length > 0) {
      const head = connection.inFlight[0];
      if (head === undefined || connection.parser === undefined) {
        // Bytes nobody asked for: the connection is not trusted again.
        closeConnection(connection);
        return;
      }
      let done: ReturnType<ResponseParser['push']>;
      try {
        done = connection.parser.push(bytes);
      } catch (error) {
        failConnection(connection, error as Error, head);
        return;
      }
      if (done === undefined) return;
      connection.inFlight.shift();
      settle(head);
      head.resolve(done.response);
      bytes = done.rest;
      if (done.response.keepAlive) connection.served += 1;
      else connection.draining = true;
      const next = connection.inFlight[0];
      connection.parser = next === undefined ? undefined : createResponseParser({ method: next.exchange.method, maxBodyBytes: next.exchange.maxBodyBytes });
      if (connection.draining) {
        // The server said close, so it read nothing after that request: the ones sent behind it
        // are sent again elsewhere, as if never sent.
        failConnection(connection, undefined, undefined, true);
        return;
      }
    }
    if (connection.inFlight.length === 0) connection.socket.unref();
    dispatch();
  }

  function onClosed(connection: Connection, error: Error | undefined): void {
    if (connection.closed) return;
    const head = connection.inFlight[0];
    if (head !== undefined && error === undefined && connection.parser !== undefined) {
      // A body that runs to the end of the connection is complete now.
      try {
        const response = connection.parser.end();
        connection.inFlight.shift();
        settle(head);
        head.resolve(response);
      } catch (endError) {
        failConnection(connection, endError as Error, undefined);
        return;
      }
    }
    failConnection(connection, error ?? Object.assign(new Error('connection closed'), { code: 'ECONNRESET' }), undefined);
  }

  // Closes the connection. The request being answered fails (with `error`), as does `culprit`;
  // the others were sent but not answered: sent once more when idempotent, else failed.
  // `unread`: the server announced the close, so none of them was read at all.
  function failConnection(connection: Connection, error: Error | undefined, culprit: Pending | undefined, unread = false): void {
    if (connection.closed) return;
    connection.closed = true;
    connections.delete(connection);
    connection.socket.destroy();
    const started = connection.parser?.started === true;
    const lost = connection.inFlight.splice(0);
    const failure = error ?? Object.assign(new Error('connection closed'), { code: 'ECONNRESET' });
    lost.forEach((pending, index) => {
      settle(pending);
      const answered = index === 0 && started;
      if (pending.exchange.signal.aborted) {
        pending.reject(pending.exchange.signal.reason as Error);
        return;
      }
      if (unread && !destroyed) {
        waiting.push(pending);
        return;
      }
      if (pending === culprit || answered || pending.resent || destroyed || !idempotentMethods.has(pending.exchange.method)) {
        pending.reject(failure);
        return;
      }
      pending.resent = true;
      waiting.push(pending);
    });
    dispatch();
  }

  function closeConnection(connection: Connection): void {
    failConnection(connection, undefined, undefined);
  }

  return {
    send(exchange) {
      if (destroyed) return Promise.reject(poolClosed());
      if (exchange.signal.aborted) return Promise.reject(exchange.signal.reason as Error);
      return new Promise<ParsedResponse>((resolve, reject) => {
        // One listener for the request's life: in flight, its connection is cut (onAbort); still
        // waiting for a connection, it just leaves the queue.
        const onWaitAbort = (): void => {
          if (pending.onAbort !== undefined) {
            pending.onAbort();
            return;
          }
          const index = waiting.indexOf(pending);
          if (index === -1) return;
          waiting.splice(index, 1);
          pending.reject(exchange.signal.reason as Error);
        };
        const finish = (): void => exchange.signal.removeEventListener('abort', onWaitAbort);
        const pending: Pending = {
          exchange,
          resolve: (response) => {
            finish();
            resolve(response);
          },
          reject: (error) => {
            finish();
            reject(error);
          },
          resent: false,
        };
        exchange.signal.addEventListener('abort', onWaitAbort, { once: true });
        waiting.push(pending);
        dispatch();
      });
    },
    destroy() {
      destroyed = true;
      for (const pending of waiting.splice(0)) pending.reject(poolClosed());
      for (const connection of [...connections]) failConnection(connection, poolClosed(), undefined);
    },
  };
}

function poolClosed(): Error {
  return Object.assign(new Error('the connection pool is closed'), { code: 'ERR_POOL_DESTROYED' });
}
