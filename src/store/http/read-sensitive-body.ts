import type { IncomingMessage, ServerResponse } from 'node:http';
import { SecretsAgentError } from '../../core/errors.js';
import { allocSecretBuffer } from '../../crypto/secret-buffer.js';

// Reads a body that carries a secret (a value, an unseal key) like readBody, with the same cap and
// ERR_BODY_TOO_LARGE, but zeroes every chunk it received once they are joined (and on failure),
// so the only copy left is the one returned, which the caller zeroes when done (issue 12.3).
export async function readSensitiveBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      total += chunk.length;
      if (total > maxBytes) throw tooLarge(maxBytes);
    }
    // Outside the JS heap, where the garbage collector cannot leave copies (secret-buffer.ts).
    const body = allocSecretBuffer(total);
    let at = 0;
    for (const chunk of chunks) at += chunk.copy(body, at);
    return body;
  } finally {
    for (const chunk of chunks) chunk.fill(0);
  }
}

function tooLarge(maxBytes: number): SecretsAgentError {
  return new SecretsAgentError('ERR_BODY_TOO_LARGE', `request body exceeds ${maxBytes} bytes`, {
    details: { maxBytes },
  });
}

// For a route that refuses a request before reading its body (401, 403, a bad path): reads what
// is left of the body and zeroes it chunk by chunk, so no copy of the secret in it lingers in
// freed memory (Node would discard the chunks without zeroing them). Past `maxBytes` it stops and
// marks the answer to close the connection instead.
export function discardSensitiveBody(req: IncomingMessage, res: ServerResponse, maxBytes: number): Promise<void> {
  const declared = Number(req.headers['content-length']);
  if (
    req.readableEnded ||
    (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined)
  )
    return Promise.resolve();
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.setHeader('connection', 'close');
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    let total = 0;
    const finish = (): void => {
      req.off('data', onData);
      req.off('end', finish);
      req.off('error', finish);
      req.off('close', finish);
      resolve();
    };
    const onData = (chunk: Buffer): void => {
      chunk.fill(0);
      total += chunk.length;
      if (total > maxBytes) {
        req.pause();
        res.setHeader('connection', 'close');
        finish();
      }
    };
    req.on('data', onData);
    req.once('end', finish);
    req.once('error', finish);
    req.once('close', finish);
  });
}
