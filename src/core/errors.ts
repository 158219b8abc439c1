// One error type for the whole project. Callers match on `code`, never on the message.
// Messages name paths, keys, flags and uids; never a secret value or a token.

/** What one error code means: the exit code, the HTTP status, whether a retry may succeed. */
export interface ErrorCodeInfo {
  /** sysexits code the CLI exits with when this error ends a command. */
  readonly exitCode: number;
  /** HTTP status the store answers with. */
  readonly httpStatus: number;
  /** Whether a client may retry the same request later and expect success. */
  readonly retryable: boolean;
  /** One line for the table in docs/errors.md. */
  readonly summary: string;
}

// Exit codes (sysexits): 64 usage, 65 bad input data, 66 no input (missing secret),
// 69 service unavailable, 70 internal, 73 cannot create output, 75 temporary failure,
// 77 permission denied, 78 configuration. 126/127 follow the shell for the workload command.
const table = {
  ERR_USAGE: { exitCode: 64, httpStatus: 400, retryable: false, summary: 'command line or API call used wrongly' },
  ERR_CONFIG_INVALID: {
    exitCode: 78,
    httpStatus: 500,
    retryable: false,
    summary: 'configuration file, variable or flag is invalid',
  },
  ERR_INPUT_INVALID: {
    exitCode: 65,
    httpStatus: 400,
    retryable: false,
    summary: 'input is malformed (JSON, field, type)',
  },
  ERR_INPUT_ENCODING: {
    exitCode: 65,
    httpStatus: 400,
    retryable: false,
    summary:
      'text in a JSON body is not valid UTF-8 (invalid bytes or a lone `\\uD800`-style surrogate escape); the message names the field',
  },
  ERR_APPDEF_INVALID: {
    exitCode: 65,
    httpStatus: 422,
    retryable: false,
    summary: 'app or pod definition is invalid (every issue listed with its JSON pointer)',
  },
  ERR_BODY_TOO_LARGE: {
    exitCode: 65,
    httpStatus: 413,
    retryable: false,
    summary: 'request body exceeds the server cap',
  },
  ERR_CONTENT_TYPE_UNSUPPORTED: {
    exitCode: 65,
    httpStatus: 400,
    retryable: false,
    summary: 'request Content-Type is not JSON or octet-stream',
  },
  ERR_ACCEPT_UNSUPPORTED: {
    exitCode: 65,
    httpStatus: 400,
    retryable: false,
    summary: 'the secret cannot be returned in the requested format',
  },
  ERR_ROUTE_NOT_FOUND: { exitCode: 64, httpStatus: 404, retryable: false, summary: 'no such API endpoint' },
  ERR_METHOD_NOT_ALLOWED: {
    exitCode: 64,
    httpStatus: 405,
    retryable: false,
    summary: 'endpoint exists but not for this method',
  },

  ERR_SECRET_PATH_INVALID: {
    exitCode: 65,
    httpStatus: 400,
    retryable: false,
    summary: 'secret path has a bad segment, is too deep or too long, or escapes its base',
  },
  ERR_SECRET_TOO_LARGE: {
    exitCode: 65,
    httpStatus: 413,
    retryable: false,
    summary: 'secret value exceeds 1 MiB - 1 KiB',
  },
  ERR_SECRET_NOT_FOUND: { exitCode: 66, httpStatus: 404, retryable: false, summary: 'secret does not exist' },
  ERR_SECRET_EXISTS: { exitCode: 65, httpStatus: 409, retryable: false, summary: 'secret already exists' },
  ERR_SECRET_SPACE_DENIED: {
    exitCode: 77,
    httpStatus: 403,
    retryable: false,
    summary: "secret is outside the app's space",
  },
  ERR_SECRET_DECRYPT_FAILED: {
    exitCode: 65,
    httpStatus: 422,
    retryable: false,
    summary: 'an OpenPGP-encrypted secret value could not be decrypted with the node key',
  },

  ERR_STORE_NOT_FOUND: { exitCode: 65, httpStatus: 404, retryable: false, summary: 'store name is not `default`' },
  ERR_STORE_UNSUPPORTED: {
    exitCode: 65,
    httpStatus: 400,
    retryable: false,
    summary: 'creating or deleting stores is not supported',
  },
  ERR_STORE_SEALED: { exitCode: 69, httpStatus: 503, retryable: true, summary: 'store is sealed' },
  ERR_STORE_ALREADY_SEALED: { exitCode: 65, httpStatus: 409, retryable: false, summary: 'store is already sealed' },
  ERR_STORE_NOT_INITIALIZED: {
    exitCode: 69,
    httpStatus: 503,
    retryable: false,
    summary: 'store has not been initialized',
  },
  ERR_STORE_ALREADY_INITIALIZED: {
    exitCode: 65,
    httpStatus: 409,
    retryable: false,
    summary: 'store is already initialized',
  },
  ERR_STORE_INIT_INVALID: {
    exitCode: 65,
    httpStatus: 400,
    retryable: false,
    summary: 'init request is invalid (shares/threshold other than 1, bad PGP key)',
  },
  ERR_STORE_UNREACHABLE: { exitCode: 69, httpStatus: 503, retryable: true, summary: 'the store could not be reached' },
  ERR_CHANGES_UNSUPPORTED: {
    exitCode: 69,
    httpStatus: 404,
    retryable: false,
    summary: 'the store has no change feed (e.g. a DC/OS store): poll instead',
  },
  ERR_STORE_LOCKED: {
    exitCode: 69,
    httpStatus: 503,
    retryable: false,
    summary: 'another process holds the data directory lock',
  },
  ERR_STORE_CORRUPT: {
    exitCode: 70,
    httpStatus: 500,
    retryable: false,
    summary: 'a stored record failed its integrity check',
  },
  ERR_UNSEAL_KEY_INVALID: {
    exitCode: 65,
    httpStatus: 400,
    retryable: false,
    summary: 'unseal key is wrong or malformed',
  },
  ERR_UNSEAL_NO_STORED_KEY: {
    exitCode: 65,
    httpStatus: 400,
    retryable: false,
    summary: 'auto-unseal needs a stored private key and none exists',
  },

  ERR_STORAGE_UNAVAILABLE: {
    exitCode: 69,
    httpStatus: 503,
    retryable: true,
    summary: 'storage backend is unreachable (e.g. ZooKeeper quorum lost)',
  },
  ERR_STORAGE_FULL: {
    exitCode: 73,
    httpStatus: 507,
    retryable: false,
    summary: 'storage has no space left (ENOSPC or quota): nothing was written; free space, then retry',
  },
  ERR_STORAGE_CONFLICT: {
    exitCode: 75,
    httpStatus: 409,
    retryable: true,
    summary: 'conditional write lost a race (version mismatch)',
  },

  ERR_AUTH_REQUIRED: { exitCode: 77, httpStatus: 401, retryable: false, summary: 'no authentication token was sent' },
  ERR_AUTH_TOKEN_INVALID: {
    exitCode: 77,
    httpStatus: 401,
    retryable: false,
    summary: 'token is malformed, forged, or names an unknown account',
  },
  ERR_AUTH_TOKEN_EXPIRED: { exitCode: 77, httpStatus: 401, retryable: false, summary: 'token has expired' },
  ERR_AUTH_LOGIN_FAILED: { exitCode: 77, httpStatus: 401, retryable: false, summary: 'login failed' },
  ERR_AUTH_THROTTLED: {
    exitCode: 75,
    httpStatus: 429,
    retryable: true,
    summary: 'too many failed logins; retry after the given delay',
  },
  ERR_AUTH_CREDENTIAL_INVALID: {
    exitCode: 78,
    httpStatus: 400,
    retryable: false,
    summary: 'credential file or variable is malformed',
  },
  ERR_AUTH_LOGIN_REQUIRED: {
    exitCode: 77,
    httpStatus: 401,
    retryable: false,
    summary: 'session expired and no credential is kept: run `secrets-agent login`',
  },
  ERR_FORBIDDEN: {
    exitCode: 77,
    httpStatus: 403,
    retryable: false,
    summary: 'the account lacks the permission (rid and action named)',
  },

  ERR_IAM_ACCOUNT_EXISTS: {
    exitCode: 65,
    httpStatus: 409,
    retryable: false,
    summary: 'user or service account already exists',
  },
  ERR_IAM_ACCOUNT_NOT_FOUND: {
    exitCode: 65,
    httpStatus: 404,
    retryable: false,
    summary: 'user or service account does not exist',
  },
  ERR_IAM_ACL_EXISTS: { exitCode: 65, httpStatus: 409, retryable: false, summary: 'ACL already exists' },
  ERR_IAM_ACL_NOT_FOUND: { exitCode: 65, httpStatus: 404, retryable: false, summary: 'ACL or grant does not exist' },
  ERR_IAM_GROUP_EXISTS: { exitCode: 65, httpStatus: 409, retryable: false, summary: 'group already exists' },
  ERR_IAM_GROUP_NOT_FOUND: { exitCode: 65, httpStatus: 404, retryable: false, summary: 'group does not exist' },
  ERR_IAM_MEMBER_EXISTS: {
    exitCode: 65,
    httpStatus: 409,
    retryable: false,
    summary: 'account is already a member of the group',
  },
  ERR_IAM_MEMBER_NOT_FOUND: {
    exitCode: 65,
    httpStatus: 404,
    retryable: false,
    summary: 'account is not a member of the group',
  },

  ERR_HTTP_UNEXPECTED: {
    exitCode: 69,
    httpStatus: 502,
    retryable: false,
    summary: 'the server answered with an unexpected status or body',
  },
  ERR_TIMEOUT: {
    exitCode: 69,
    httpStatus: 504,
    retryable: true,
    summary: 'the operation did not finish before its deadline',
  },
  ERR_TLS_CONFIG: {
    exitCode: 78,
    httpStatus: 500,
    retryable: false,
    summary: 'TLS certificate, key or CA file is unusable',
  },
  ERR_PGP_KEY_INVALID: {
    exitCode: 78,
    httpStatus: 400,
    retryable: false,
    summary: 'OpenPGP key is unreadable or unusable',
  },

  ERR_DELIVER_UNSAFE_LOCATION: {
    exitCode: 78,
    httpStatus: 500,
    retryable: false,
    summary: 'secret files would land on disk-backed storage (use --allow-disk to accept)',
  },
  ERR_DELIVER_WRITE_FAILED: {
    exitCode: 73,
    httpStatus: 500,
    retryable: false,
    summary: 'a secret file could not be written',
  },
  ERR_WORKLOAD_NOT_FOUND: { exitCode: 127, httpStatus: 500, retryable: false, summary: 'workload command not found' },
  ERR_WORKLOAD_NOT_EXECUTABLE: {
    exitCode: 126,
    httpStatus: 500,
    retryable: false,
    summary: 'workload command is not executable',
  },
  ERR_DAEMON_UNREACHABLE: {
    exitCode: 69,
    httpStatus: 503,
    retryable: true,
    summary: 'the daemon status socket does not answer',
  },
  ERR_DAEMON_ALREADY_RUNNING: {
    exitCode: 69,
    httpStatus: 409,
    retryable: false,
    summary: 'another daemon already listens on the status socket',
  },

  ERR_INTERNAL: {
    exitCode: 70,
    httpStatus: 500,
    retryable: false,
    summary: 'internal error (a bug): please report it',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

/** Every stable error code, `ERR_<AREA>_<REASON>` (the table in docs/errors.md). */
export type ErrorCode = keyof typeof table;
/** The code table: each code's exit code, HTTP status, retryability and description. */
export const errorCodes: Readonly<Record<ErrorCode, ErrorCodeInfo>> = Object.freeze(table);

/** Optional non-secret `details` and the `cause` of a `SecretsAgentError`. */
export interface SecretsAgentErrorOptions {
  /** Non-secret structured context: paths, pointers, limits, rids. Never values or tokens. */
  details?: Readonly<Record<string, unknown>>;
  cause?: unknown;
}

/** The single error class. `name` and `code` are stable; see docs/errors.md. */
export class SecretsAgentError extends Error {
  override readonly name = 'SecretsAgentError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: SecretsAgentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }

  get exitCode(): number {
    return errorCodes[this.code].exitCode;
  }

  get httpStatus(): number {
    return errorCodes[this.code].httpStatus;
  }

  get retryable(): boolean {
    return errorCodes[this.code].retryable;
  }
}

/**
 * True for our error type, also across realms/duplicated module copies (matches on name + code).
 *
 * @example
 * ```ts
 * import { isSecretsAgentError } from 'secrets-agent';
 *
 * try {
 *   await client.getSecret('billing/db-password');
 * } catch (error) {
 *   if (isSecretsAgentError(error, 'ERR_SECRET_NOT_FOUND')) return undefined;
 *   if (isSecretsAgentError(error) && error.retryable) scheduleRetry();
 *   throw error;
 * }
 * ```
 */
export function isSecretsAgentError(error: unknown, code?: ErrorCode): error is SecretsAgentError {
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as { name?: unknown; code?: unknown };
  if (candidate.name !== 'SecretsAgentError' || typeof candidate.code !== 'string') return false;
  if (!(candidate.code in errorCodes)) return false;
  return code === undefined || candidate.code === code;
}

// Wraps anything thrown into our type, keeping our own errors as they are.
export function toSecretsAgentError(error: unknown, fallbackMessage = 'internal error'): SecretsAgentError {
  if (isSecretsAgentError(error)) return error;
  return new SecretsAgentError('ERR_INTERNAL', fallbackMessage, { cause: error });
}

/** Whether `value` is one of our error codes, e.g. the `code` of an error body. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && value in errorCodes;
}
