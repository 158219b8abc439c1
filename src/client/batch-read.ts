// The client side of our batch read (`POST /secrets/v1/batch/{store}`, docs/store.md): the
// request body, and the answer turned into one outcome per path. An item's error becomes exactly
// the error its single GET would have thrown (same code, message and details), so callers cannot
// tell the two apart.
import { SecretsAgentError } from '../core/errors.js';
import type { BatchReadOutcome, SecretRecord } from '../core/secrets-api.js';
import { mapHttpError, unexpectedResponse, type HttpErrorContext } from './http-error.js';
import type { HttpResponse } from './http-transport.js';
import { parseObject, parseTextSecretRecord } from './response-body.js';

/** The server's cap on paths per request; more are sent in several requests. */
export const maxPathsPerBatch = 256;

/** HTTP statuses that mean "this store has no batch read" (DC/OS, or an older secrets-agent store). */
export const batchUnsupportedStatuses: ReadonlySet<number> = new Set([404, 405, 501]);

const jsonHeaders = { 'content-type': 'application/json' };

// Splits `paths` into request-sized groups.
export function chunkBatchPaths(paths: readonly string[]): string[][] {
  const chunks: string[][] = [];
  for (let start = 0; start < paths.length; start += maxPathsPerBatch)
    chunks.push(paths.slice(start, start + maxPathsPerBatch));
  return chunks;
}

// `{"results": [...]}` → one outcome per asked path, in the asked order. `itemContext(path)` is the
// context of that path's single GET, so an item error maps exactly as that GET's answer would.
export function parseBatchAnswer(
  response: HttpResponse,
  context: HttpErrorContext,
  asked: readonly string[],
  itemContext: (path: string) => HttpErrorContext,
): BatchReadOutcome[] {
  const { results } = parseObject(response, context);
  if (!Array.isArray(results) || results.length !== asked.length)
    throw unexpectedResponse(context, response.status, `/results is not an array of ${asked.length} results`);
  return asked.map((path, index): BatchReadOutcome => {
    const item: unknown = results[index];
    const where = `/results/${index}`;
    if (typeof item !== 'object' || item === null || (item as { path?: unknown }).path !== path)
      throw unexpectedResponse(context, response.status, `${where} is not the result for the asked path`);
    const { status, secret, binary, error, deferred } = item as Record<string, unknown>;
    if (deferred === true) return { path, deferred: true };
    if (status === 200 && typeof binary === 'string') {
      const record: SecretRecord = { path, type: 'binary', bytes: new Uint8Array(Buffer.from(binary, 'base64')) };
      return { path, record };
    }
    if (status === 200 && typeof secret === 'object' && secret !== null && !Array.isArray(secret)) {
      const record = parseTextSecretRecord(
        path,
        secret as Record<string, unknown>,
        context,
        response.status,
        `${where}/secret`,
      );
      return { path, record };
    }
    if (typeof status === 'number' && status >= 400 && typeof error === 'object' && error !== null) {
      const single: HttpResponse = { status, headers: jsonHeaders, body: Buffer.from(JSON.stringify(error)) };
      return { path, error: mapHttpError(single, itemContext(path)) };
    }
    throw unexpectedResponse(context, response.status, `${where} has neither a secret nor an error`);
  });
}

// Whether a failed batch request means the store lacks the route (then read path by path, for good).
export function isBatchUnsupported(error: unknown): boolean {
  if (!(error instanceof SecretsAgentError)) return false;
  const status = error.details?.['status'];
  return typeof status === 'number' && batchUnsupportedStatuses.has(status);
}
