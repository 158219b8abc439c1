/**
 * secrets-agent as a library: a DC/OS Secrets API client with authentication, the lower-level
 * HTTP and IAM clients it is made of, credential and session helpers, and the error type.
 * Start with {@link createSecretsClient}; errors are {@link SecretsAgentError}s to match on `code`
 * (docs/errors.md). Explicit named exports only: what is not listed here is internal.
 *
 * @packageDocumentation
 */

// The client most callers want.
export { createSecretsClient } from './client/secrets-client.js';
export type { SecretsClient, SecretsClientOptions, SecretValue, SecretWriteOptions } from './client/secrets-client.js';

// Lower-level clients (single attempts) and the retry helper that owns retries.
export { createSecretsHttpApi } from './client/secrets-http-api.js';
export type { SecretsHttpApi, SecretsHttpApiOptions } from './client/secrets-http-api.js';
export type { InitStatus } from './client/response-body.js';
export { createIamClient, encodeRid } from './client/iam-client.js';
export type { IamAccount, IamAction, IamClient, IamClientOptions, LoginRequest } from './client/iam-client.js';
export { createHttpTransport } from './client/http-transport.js';
export type { HttpTransport, HttpTransportOptions } from './client/http-transport.js';
export { createChangeFeedClient, watchSecretChanges } from './client/change-feed.js';
export type {
  ChangeFeedClient,
  ChangeFeedClientOptions,
  FetchChangesOptions,
  SecretChanges,
  WatchResult,
  WatchSecretChangesOptions,
} from './client/change-feed.js';
export { isRetryableError, retryWithBackoff } from './client/retry.js';
export type { AttemptInfo, RetryEvent, RetryOptions } from './client/retry.js';
export type { TokenProvider as TokenSource } from './client/token-provider.js';
export { backoffCeilingMs, fullJitterDelayMs, parseRetryAfterMs, resolveBackoff } from './core/backoff.js';
export type { BackoffOptions } from './core/backoff.js';

// Credentials, login and sessions.
export { credentialEnvVar, passwordEnvVar, resolveAuthMethod, usernameEnvVar } from './auth/auth-method.js';
export type { AuthInputs, AuthMethod } from './auth/auth-method.js';
export { loadServiceAccountCredential, parseServiceAccountCredential } from './auth/credential.js';
export type { ServiceAccountCredential } from './auth/credential.js';
export { chooseLoginEndpoint, loginPath, storeUrlFromCredential } from './auth/login-endpoint.js';
export { createServiceLoginToken, serviceLoginTokenLifetimeSeconds } from './auth/service-login-token.js';
export { createTokenProvider } from './auth/token-provider.js';
export type { LoginFunction, TokenProvider, TokenProviderOptions } from './auth/token-provider.js';
export { readTokenTimes } from './auth/token-claims.js';
export { clearSession, loadSession, saveSession, sessionFileName } from './auth/session.js';
export type { SaveSessionOptions, Session } from './auth/session.js';
export { defaultStateDir } from './auth/state-dir.js';

// Errors: match on `code` (see the table in docs/errors.md).
export { SecretsAgentError, errorCodes, isErrorCode, isSecretsAgentError } from './core/errors.js';
export type { ErrorCode, ErrorCodeInfo, SecretsAgentErrorOptions } from './core/errors.js';

// Shared secret types.
export type {
  SealStatus,
  SecretInput,
  SecretRecord,
  SecretSource,
  SecretType,
  SecretsApi,
} from './core/secrets-api.js';
