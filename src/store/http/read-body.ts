import type { IncomingMessage } from 'node:http';
import { SecretsAgentError } from '../../core/errors.js';
import { allocSecretBuffer } from '../../crypto/secret-buffer.js';

export interface ReadBodyOptions {
  /**
   * The body carries a secret (a value, an unseal key): every chunk received is zeroed once joined
   * or dropped, and the result lives outside the JS heap (secret-buffer.ts), so the only copy left
   * is the one returned, which the caller zeroes when done (issue 12.3).
   */
  readonly sensitive?: boolean;
}

// Reads a request body into memory up to `maxBytes`. Past the cap it stops keeping what arrives
// (the caller answers 413 and closes the connection, see linger-close.ts) instead of buffering the
// rest. Listeners rather than `for await`: leaving an async iterator early destroys the request and
// with it the socket, so the 413 could never be sent (issue 12.1).
export function readBody(req: IncomingMessage, maxBytes: number, options: ReadBodyOptions = {}): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = (): void => {
      if (options.sensitive === true) for (const chunk of chunks) chunk.fill(0);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > maxBytes) {
        if (options.sensitive === true) chunk.fill(0);
        cleanup();
        chunks.length = 0;
        // What still arrives before the connection closes (buffered in the stream, or on the
        // wire) is part of the same secret: zeroed and dropped, never kept.
        if (options.sensitive === true) req.on('data', zeroChunk);
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      const body = options.sensitive === true ? allocSecretBuffer(total) : Buffer.allocUnsafe(total);
      let at = 0;
      for (const chunk of chunks) at += chunk.copy(body, at);
      cleanup();
      resolve(body);
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(ended(error));
    };
    // `close` without `end`: the client went away mid-body (an abort or a reset).
    const onClose = (): void => {
      cleanup();
      reject(ended(undefined));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function zeroChunk(chunk: Buffer): void {
  chunk.fill(0);
}

function tooLarge(maxBytes: number): SecretsAgentError {
  return new SecretsAgentError('ERR_BODY_TOO_LARGE', `request body exceeds ${maxBytes} bytes`, {
    details: { maxBytes },
  });
}

function ended(cause: unknown): SecretsAgentError {
  return new SecretsAgentError('ERR_INPUT_INVALID', 'request body ended early: the client aborted the upload', {
    cause,
  });
}

// Parses a JSON body into `unknown`; the caller narrows it with its own parser.
export function parseJsonBody(body: Buffer, what: string): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (error) {
    throw new SecretsAgentError('ERR_INPUT_INVALID', `${what}: body is not valid JSON`, { cause: error });
  }
}
