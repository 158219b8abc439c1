import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { errorCodes, toSecretsAgentError, type SecretsAgentError } from '../../core/errors.js';

// Sends a JSON body with an exact `application/json` Content-Type (clients compare it verbatim).
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': payload.length });
  res.end(payload);
}

export function sendBytes(res: ServerResponse, status: number, body: Uint8Array, contentType: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': body.byteLength });
  res.end(body);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers);
  res.end();
}

// Error body per decisions.md: {"title": reason phrase, "description": message, "code": ERR_...}.
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
  sendJson(res, status, { title: STATUS_CODES[status] ?? 'Error', description: failure.message, code: failure.code }, headers);
  return failure;
}
