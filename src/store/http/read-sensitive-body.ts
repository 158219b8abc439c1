import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './read-body.js';

// Reads a body that carries a secret (a value, an unseal key): readBody with every chunk zeroed and the
// result outside the JS heap (issue 12.3).
export function readSensitiveBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return readBody(req, maxBytes, { sensitive: true });
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
