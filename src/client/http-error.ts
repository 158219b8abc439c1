// Maps a non-2xx answer to our error codes. A JSON body `{title, description, code}` (docs/decisions.md#error-bodies;
// DC/OS services send `{title, description}`) supplies the message and, when `code` is one of
// ours, the code. Otherwise the status decides, read in the light of what was being done (`area`).
// Non-JSON bodies (Admin Router's HTML 401/403 pages, proxies) never reach the message.
import { SecretsAgentError, isErrorCode, type ErrorCode } from '../core/errors.js';
import { parseRetryAfterMs } from '../core/backoff.js';
import { replaceControlCharacters } from '../core/control-characters.js';
import type { HttpResponse } from './http-transport.js';

/** What the request was about; picks the code for a bare status (404 on a secret vs. on an account). */
export type ApiArea = 'secret' | 'store' | 'login' | 'iam-account' | 'iam-acl' | 'iam-group';

export interface HttpErrorContext {
  readonly area: ApiArea;
  readonly method: string;
  /** The URL path (percent-encoded as sent), for details; never a value. */
  readonly urlPath: string;
}

interface ErrorBody {
  readonly title?: string;
  readonly description?: string;
  readonly code?: string;
}

const byArea: Readonly<Record<ApiArea, { notFound: ErrorCode; conflict: ErrorCode }>> = {
  secret: { notFound: 'ERR_SECRET_NOT_FOUND', conflict: 'ERR_SECRET_EXISTS' },
  store: { notFound: 'ERR_STORE_NOT_FOUND', conflict: 'ERR_STORE_ALREADY_SEALED' },
  login: { notFound: 'ERR_HTTP_UNEXPECTED', conflict: 'ERR_HTTP_UNEXPECTED' },
  'iam-account': { notFound: 'ERR_IAM_ACCOUNT_NOT_FOUND', conflict: 'ERR_IAM_ACCOUNT_EXISTS' },
  'iam-acl': { notFound: 'ERR_IAM_ACL_NOT_FOUND', conflict: 'ERR_IAM_ACL_EXISTS' },
  'iam-group': { notFound: 'ERR_IAM_GROUP_NOT_FOUND', conflict: 'ERR_IAM_GROUP_EXISTS' },
};

// Turns an error response into a SecretsAgentError whose details carry status, method, URL path,
// the server's own code (if any) and `retryAfterMs` when the server sent Retry-After.
export function mapHttpError(
  response: HttpResponse,
  context: HttpErrorContext,
  nowMs: number = Date.now(),
): SecretsAgentError {
  const { status } = response;
  const contentType = headerText(response.headers['content-type']).toLowerCase();
  const body = contentType.includes('json') ? parseErrorBody(response.body) : undefined;
  const html = contentType.startsWith('text/html');
  const description = body?.description !== undefined && body.description !== '' ? body.description : undefined;
  const serverCode = body?.code;
  const retryAfterMs = parseRetryAfterMs(response.headers['retry-after'], nowMs);
  const code = isErrorCode(serverCode) ? serverCode : codeForStatus(status, context.area, description, html);
  const message = description !== undefined ? clean(description) : defaultMessage(status, body?.title, context, html);
  return new SecretsAgentError(code, message, {
    details: {
      status,
      method: context.method,
      path: context.urlPath,
      ...(serverCode === undefined ? {} : { serverCode: clean(serverCode).slice(0, 64) }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    },
  });
}

function codeForStatus(status: number, area: ApiArea, description: string | undefined, html: boolean): ErrorCode {
  switch (status) {
    case 400:
      return 'ERR_INPUT_INVALID';
    case 401:
      return area === 'login' ? 'ERR_AUTH_LOGIN_FAILED' : 'ERR_AUTH_TOKEN_INVALID';
    case 403:
      return 'ERR_FORBIDDEN';
    case 404:
      // An HTML 404 is a proxy or Admin Router not knowing the route: the URL is wrong, not the secret.
      if (html) return 'ERR_HTTP_UNEXPECTED';
      // DC/OS: "store not found" for an unknown store name (docs/wire-formats.md#error-bodies).
      if (description !== undefined && /store\b.*\bnot found/i.test(description)) return 'ERR_STORE_NOT_FOUND';
      return byArea[area].notFound;
    case 409:
      return byArea[area].conflict;
    case 413:
      return 'ERR_SECRET_TOO_LARGE';
    case 429:
      return 'ERR_AUTH_THROTTLED';
    case 503:
      return description !== undefined && /\bsealed\b/i.test(description)
        ? 'ERR_STORE_SEALED'
        : 'ERR_STORE_UNREACHABLE';
    default:
      return 'ERR_HTTP_UNEXPECTED';
  }
}

function defaultMessage(status: number, title: string | undefined, context: HttpErrorContext, html: boolean): string {
  const where = `${context.method} ${context.urlPath}`;
  const reason = title !== undefined && title !== '' ? clean(title) : statusText(status);
  if (status === 401) {
    return context.area === 'login'
      ? `Login failed (HTTP 401 from ${where})`
      : `Unauthorized (HTTP 401 from ${where}${html ? ', an HTML page, likely from Admin Router' : ''}): the token is missing, invalid or expired`;
  }
  if (status === 403) return `Forbidden (HTTP 403 from ${where}): the account lacks the permission`;
  if (status === 404 && html) return `Not Found (HTTP 404 HTML page from ${where}): is the store URL right?`;
  return `${reason} (HTTP ${status} from ${where})`;
}

function parseErrorBody(raw: Buffer): ErrorBody | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { title, description, code } = value as Record<string, unknown>;
  return {
    ...(typeof title === 'string' ? { title } : {}),
    ...(typeof description === 'string' ? { description } : {}),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

// Server text is untrusted: no control characters, bounded length.
function clean(text: string): string {
  const printable = replaceControlCharacters(text, ' ');
  return printable.length > 500 ? `${printable.slice(0, 500)}...` : printable;
}

function headerText(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

const statusTexts: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function statusText(status: number): string {
  return statusTexts[status] ?? `HTTP ${status}`;
}

// A 2xx answer whose body is not what the API promises (wrong Content-Type, bad JSON shape).
export function unexpectedResponse(context: HttpErrorContext, status: number, reason: string): SecretsAgentError {
  return new SecretsAgentError(
    'ERR_HTTP_UNEXPECTED',
    `${context.method} ${context.urlPath}: unexpected answer (HTTP ${status}): ${reason}`,
    {
      details: { status, method: context.method, path: context.urlPath },
    },
  );
}
