import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { errorCodes, toSecretsAgentError, type SecretsAgentError } from '../../core/errors.js';

/** On every Secrets API response: the change feed index as of the start of the request. */
export const secretsIndexHeader = 'x-secrets-index';

// The index rides on the response object and joins the headers given to writeHead, instead of a
// setHeader() before the handler: any setHeader() sends writeHead down Node's slow merge path,
// which re-validates every header one by one (~5% of a GET's CPU in the store-get bench).
// The index is taken at the start of the request but sent only once the caller has authenticated
// (issue 12.8): an anonymous caller (/ping, a 401) learns nothing about the store's write activity.
const pendingIndexSlot = Symbol('pendingSecretsIndex');
const secretsIndexSlot = Symbol('secretsIndex');
type IndexedResponse = ServerResponse & { [pendingIndexSlot]?: string; [secretsIndexSlot]?: string };

// Holds `index` for `res`: its answer carries `X-Secrets-Index: index` if the caller authenticates.
export function setSecretsIndex(res: ServerResponse, index: string): void {
  (res as IndexedResponse)[pendingIndexSlot] = index;
}

// The caller of `res` has authenticated: its answer may carry the index held by setSecretsIndex.
export function revealSecretsIndex(res: ServerResponse): void {
  const indexed = res as IndexedResponse;
  const index = indexed[pendingIndexSlot];
  if (index !== undefined) indexed[secretsIndexSlot] = index;
}

// Sends a JSON body with an exact `application/json` Content-Type (clients compare it verbatim).
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendJsonPayload(res, status, Buffer.from(JSON.stringify(body)), headers);
}

// Sends JSON that is already serialized; `payload` must not change until the response is done.
export function sendJsonPayload(
  res: ServerResponse,
  status: number,
  payload: Uint8Array,
  headers: Record<string, string> = {},
): void {
  sendBytes(res, status, payload, 'application/json', headers);
}

export function sendBytes(
  res: ServerResponse,
  status: number,
  body: Uint8Array,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  const list = listHeaders(res, headers, true);
  list.push('content-type', contentType, 'content-length', body.byteLength);
  res.writeHead(status, list);
  res.end(body);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, listHeaders(res, headers, false));
  res.end();
}

// Error body per docs/decisions.md#error-bodies: {"title": reason phrase, "description": message, "code": ERR_...}.
// 401 carries `WWW-Authenticate: acsjwt` like DC/OS Admin Router.
export function sendError(res: ServerResponse, error: unknown): SecretsAgentError {
  const failure = toSecretsAgentError(error);
  const status = errorCodes[failure.code].httpStatus;
  const headers: Record<string, string> = {};
  if (status === 401) headers['www-authenticate'] = 'acsjwt';
  const retryAfter = failure.details?.['retryAfterSeconds'];
  if (typeof retryAfter === 'number') headers['retry-after'] = String(Math.ceil(retryAfter));
  if (res.headersSent) {
    res.destroy();
    return failure;
  }
  // ERR_INTERNAL's cause stays in the log, never in the response.
  sendJson(
    res,
    status,
    { title: STATUS_CODES[status] ?? 'Error', description: failure.message, code: failure.code },
    headers,
  );
  return failure;
}

// writeHead's flat [name, value, ...] form: the index first (where setHeader() used to put it),
// then `headers`, less the content headers the caller sets itself (`withBody`: they used to be
// overridden in an object spread). Built by hand: spreads with a computed key cost ~1 µs per answer.
function listHeaders(res: ServerResponse, headers: Record<string, string>, withBody: boolean): Array<string | number> {
  const list: Array<string | number> = [];
  const index = (res as IndexedResponse)[secretsIndexSlot];
  if (index !== undefined) list.push(secretsIndexHeader, index);
  for (const name of Object.keys(headers)) {
    if (withBody && (name === 'content-type' || name === 'content-length')) continue;
    list.push(name, headers[name] as string);
  }
  return list;
}
