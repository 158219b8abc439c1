import type { IncomingMessage } from 'node:http';
import { SecretsAgentError } from '../../core/errors.js';

// Reads a request body into memory up to `maxBytes`. Past the cap it stops reading at once
// (the caller answers 413 and closes the connection) instead of buffering the rest.
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw tooLarge(maxBytes);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

function tooLarge(maxBytes: number): SecretsAgentError {
  return new SecretsAgentError('ERR_BODY_TOO_LARGE', `request body exceeds ${maxBytes} bytes`, {
    details: { maxBytes },
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
