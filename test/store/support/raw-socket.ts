// Byte-level HTTP/1.1 exchanges over node:net, for requests no HTTP client would send: bad chunk
// sizes, oversize chunked bodies, uploads cut short, resets mid-body, requests never finished.
import { connect, type Socket } from 'node:net';

export type RawStep =
  | string
  | Buffer
  /** Waits this long before the next step. */
  | { readonly pauseMs: number }
  /** Writes `count` chunks of `chunkBytes` in chunked encoding (without the final 0 chunk). */
  | { readonly chunks: number; readonly chunkBytes: number };

export interface RawExchange {
  /** Steps sent in order; writing stops early if the server closes the connection. */
  readonly steps: readonly RawStep[];
  /** After the steps: `end` half-closes, `reset` sends RST, `destroy` closes, `wait` keeps it open. */
  readonly then?: 'end' | 'reset' | 'destroy' | 'wait';
  /** Gives up (and closes) after this long; default 5 s. */
  readonly timeoutMs?: number;
  /** Source address, e.g. 127.0.0.2 to be another peer. */
  readonly localAddress?: string;
}

export interface RawResult {
  /** The first status code the server sent, or undefined when it sent nothing. */
  readonly status: number | undefined;
  readonly response: string;
  /** How the exchange ended: the server closed, we gave up, or a socket error (code). */
  readonly ended: 'closed' | 'timeout' | string;
}

// Runs one exchange and resolves when the connection is gone (never rejects).
export function exchangeRaw(port: number, exchange: RawExchange): Promise<RawResult> {
  return new Promise((resolve) => {
    const socket: Socket = connect({
      host: '127.0.0.1',
      port,
      ...(exchange.localAddress === undefined ? {} : { localAddress: exchange.localAddress }),
    });
    const received: Buffer[] = [];
    let ended: string | undefined;
    let closed = false;
    const finish = (): void => {
      const response = Buffer.concat(received).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(response);
      resolve({ status: match === null ? undefined : Number(match[1]), response, ended: ended ?? 'closed' });
    };
    const timer = setTimeout(() => {
      ended ??= 'timeout';
      socket.destroy();
    }, exchange.timeoutMs ?? 5000);
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      ended ??= error.code ?? 'error';
    });
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      finish();
    });
    socket.on('connect', () => {
      void (async () => {
        for (const step of exchange.steps) {
          if (closed || socket.destroyed) return;
          if (typeof step === 'string' || Buffer.isBuffer(step)) await write(socket, step);
          else if ('pauseMs' in step) await new Promise((done) => setTimeout(done, step.pauseMs));
          else {
            const chunk = Buffer.concat([
              Buffer.from(`${step.chunkBytes.toString(16)}\r\n`),
              Buffer.alloc(step.chunkBytes, 0x61),
              Buffer.from('\r\n'),
            ]);
            for (let index = 0; index < step.chunks && !closed && !socket.destroyed; index += 1)
              await write(socket, chunk);
          }
        }
        if (closed || socket.destroyed) return;
        const then = exchange.then ?? 'end';
        if (then === 'end') socket.end();
        else if (then === 'reset') socket.resetAndDestroy();
        else if (then === 'destroy') socket.destroy();
      })();
    });
  });
}

// Writes and waits for the kernel to take it (or for the socket to die); never rejects.
function write(socket: Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed || !socket.writable) {
      resolve();
      return;
    }
    socket.write(data, () => resolve());
  });
}

// A request head with CRLFs; `headers` as given, in order.
export function requestHead(method: string, target: string, headers: readonly string[]): string {
  return `${method} ${target} HTTP/1.1\r\n${['host: 127.0.0.1', ...headers].join('\r\n')}\r\n\r\n`;
}
