// Keeps a DC/OS auth token in memory and renews it: at about 2/3 of its lifetime (read from its
// `exp`, unverified), and once more after the store refuses it (HTTP 401). Concurrent callers
// share one login. With only a token (file or session) and nothing to log in with, an expired or
// refused token ends in ERR_AUTH_LOGIN_REQUIRED.
import type { KeyObject } from 'node:crypto';
import { SecretsAgentError, isSecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { AuthMethod } from './auth-method.js';
import { parsePrivateKey } from './credential.js';
import { createServiceLoginToken } from './service-login-token.js';
import { readTokenTimes } from './token-claims.js';
import { fileReadError } from '../core/file-read-error.js';
import { loadFsPromises } from '../core/lazy-builtins.js';

export type LoginRequest =
  { readonly uid: string; readonly password: string } | { readonly uid: string; readonly token: string };

/** Performs one login and returns the auth token (the IAM client's `login`). */
export type LoginFunction = (request: LoginRequest, loginEndpoint: string) => Promise<string>;

/** What `createTokenProvider` takes: the credential, how to log in, and an optional first token. */
export interface TokenProviderOptions {
  readonly method: AuthMethod;
  /** Needed for `service-account` and `password`. */
  readonly login?: LoginFunction;
  /** Full login URL (see chooseLoginEndpoint); needed for `service-account` and `password`. */
  readonly loginEndpoint?: string;
  /** A token to start with (a saved session); renewed through `method` when it can be. */
  readonly initialToken?: string;
  /** Renew after this fraction of the token's lifetime. Default 2/3. */
  readonly refreshFraction?: number;
  /** Clock in ms; default Date.now. */
  readonly now?: () => number;
  readonly log?: Logger;
}

/** Hands out a valid auth token, logging in again before expiry or after the store refused one. */
export interface TokenProvider {
  getToken(): Promise<string>;
  invalidate(rejectedToken?: string, reason?: unknown): void;
  /** Expiry of the token held now (undefined: none held, or it carries no `exp`). */
  readonly expiresAt: Date | undefined;
  /** Whether a refused or expired token can be replaced by logging in. */
  readonly renewable: boolean;
  /** Forgets the token; later getToken() calls fail. Safe to call twice. */
  close(): Promise<void>;
}

interface HeldToken {
  readonly token: string;
  readonly expMs: number | undefined;
  readonly refreshAtMs: number;
}

/** A token this close to `exp` is not used: it could expire on the way. */
const expiryMarginMs = 5_000;
const maxTokenFileBytes = 16 * 1024;

/**
 * Creates the provider for one credential.
 *
 * @example
 * ```ts
 * import { chooseLoginEndpoint, createIamClient, createTokenProvider, loadServiceAccountCredential } from 'secrets-agent';
 *
 * const iam = createIamClient({ url: 'https://master.mesos' });
 * const credential = loadServiceAccountCredential('/etc/secrets-agent/credential.json', '--credential-file');
 * const tokens = createTokenProvider({
 *   method: { kind: 'service-account', credential, source: '--credential-file' },
 *   login: (request, endpoint) => iam.login(request, endpoint),
 *   loginEndpoint: chooseLoginEndpoint({ credential }),
 * });
 * const token = await tokens.getToken(); // renewed before it expires
 * ```
 */
export function createTokenProvider(options: TokenProviderOptions): TokenProvider {
  const { method, log } = options;
  const now = options.now ?? Date.now;
  const refreshFraction = options.refreshFraction ?? 2 / 3;
  if (!(refreshFraction > 0 && refreshFraction <= 1)) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`refreshFraction\` to be in (0, 1], got \`${String(refreshFraction)}\` (${typeof refreshFraction})`,
    );
  }
  const renewable = method.kind === 'service-account' || method.kind === 'password';
  if (renewable && (options.login === undefined || options.loginEndpoint === undefined)) {
    throw new SecretsAgentError('ERR_USAGE', `a ${method.kind} credential needs \`login\` and \`loginEndpoint\``);
  }
  // Read at the first login: a provider that starts from a cached token may never need the key.
  let privateKey: KeyObject | undefined;

  let held: HeldToken | undefined = options.initialToken === undefined ? undefined : hold(options.initialToken, now());
  let rejected: { token: string; reason: unknown } | undefined;
  let pending: Promise<string> | undefined;
  let closed = false;

  function hold(token: string, obtainedMs: number): HeldToken {
    const times = readTokenTimes(token);
    if (times.expSeconds === undefined) return { token, expMs: undefined, refreshAtMs: Infinity };
    const expMs = times.expSeconds * 1000;
    // A saved token's lifetime counts from its `iat` when it has one, else from when we got it.
    const startMs =
      times.iatSeconds !== undefined && times.iatSeconds * 1000 <= obtainedMs ? times.iatSeconds * 1000 : obtainedMs;
    return { token, expMs, refreshAtMs: startMs + (expMs - startMs) * refreshFraction };
  }

  const usable = (token: HeldToken, atMs: number): boolean =>
    token.expMs === undefined || atMs < token.expMs - expiryMarginMs;

  async function login(): Promise<string> {
    const loginFn = options.login as LoginFunction;
    const endpoint = options.loginEndpoint as string;
    if (method.kind === 'service-account') {
      const serviceToken = createServiceLoginToken({
        uid: method.credential.uid,
        privateKey: (privateKey ??= parsePrivateKey(method.credential.private_key, method.source)),
        nowSeconds: now() / 1000,
      });
      return loginFn({ uid: method.credential.uid, token: serviceToken }, endpoint);
    }
    if (method.kind === 'password') return loginFn({ uid: method.uid, password: method.password }, endpoint);
    throw new SecretsAgentError('ERR_INTERNAL', 'login() called for a token-only credential');
  }

  async function readToken(): Promise<string> {
    if (method.kind === 'token') return method.token;
    if (method.kind !== 'token-file')
      throw new SecretsAgentError('ERR_INTERNAL', 'readToken() called for a login credential');
    let text: string;
    try {
      const content = await loadFsPromises().readFile(method.file);
      if (content.length > maxTokenFileBytes)
        throw new SecretsAgentError(
          'ERR_AUTH_CREDENTIAL_INVALID',
          `--token-file ${method.file}: larger than ${maxTokenFileBytes} bytes, not a token`,
        );
      text = content.toString('utf8').trim();
    } catch (error) {
      if (isSecretsAgentError(error)) throw error;
      throw fileReadError('ERR_AUTH_CREDENTIAL_INVALID', `--token-file ${method.file}`, error);
    }
    if (text === '' || /\s/.test(text))
      throw new SecretsAgentError(
        'ERR_AUTH_CREDENTIAL_INVALID',
        `--token-file ${method.file}: expected one token on one line`,
      );
    return text;
  }

  function sourceName(): string {
    if (method.kind === 'token-file') return `--token-file ${method.file}`;
    return method.kind === 'token' ? method.source : method.kind;
  }

  function loginRequired(why: string, cause?: unknown): SecretsAgentError {
    return new SecretsAgentError(
      'ERR_AUTH_LOGIN_REQUIRED',
      `the token from ${sourceName()} ${why}, and no credential is kept to log in again: run \`secrets-agent login\``,
      {
        ...(cause === undefined ? {} : { cause }),
      },
    );
  }

  // Gets a fresh token: logs in, or re-reads the token source. Keeps a still-valid old token if a
  // scheduled (not forced) renewal fails, so a brief IAM outage does not fail reads that would work.
  async function renew(): Promise<string> {
    const startedMs = now();
    const previous = held;
    if (renewable) {
      try {
        const token = await login();
        if (closed) throw closedError();
        held = hold(token, startedMs);
        rejected = undefined;
        log?.debug(
          { expiresAt: held.expMs === undefined ? undefined : new Date(held.expMs).toISOString() },
          'logged in',
        );
        return token;
      } catch (error) {
        if (
          previous !== undefined &&
          held === previous &&
          usable(previous, now()) &&
          isSecretsAgentError(error) &&
          error.retryable
        ) {
          log?.warn({ err: error }, 'token renewal failed; using the current token until it expires');
          // Try again later, not on every call: at most every 30 s, sooner when expiry is near.
          const retryInMs = Math.min(30_000, ((previous.expMs ?? Infinity) - now()) / 4);
          held = { ...previous, refreshAtMs: now() + retryInMs };
          return previous.token;
        }
        throw error;
      }
    }
    // Token-only: a token file may have been renewed by someone else; a static token cannot be.
    const token = await readToken();
    if (rejected !== undefined && token === rejected.token) {
      const reason = isSecretsAgentError(rejected.reason) ? ` (${rejected.reason.message})` : '';
      throw loginRequired(`was refused by the store${reason}`, rejected.reason);
    }
    const candidate = hold(token, startedMs);
    if (!usable(candidate, now()))
      throw loginRequired(`expired at ${new Date(candidate.expMs as number).toISOString()}`);
    // Nothing better will come from re-reading before it expires: use it until then.
    held = { ...candidate, refreshAtMs: candidate.expMs === undefined ? Infinity : candidate.expMs - expiryMarginMs };
    rejected = undefined;
    return token;
  }

  return {
    getToken() {
      if (closed) return Promise.reject(closedError());
      const current = held;
      if (current !== undefined && rejected === undefined && now() < current.refreshAtMs && usable(current, now()))
        return Promise.resolve(current.token);
      pending ??= renew().finally(() => {
        pending = undefined;
      });
      return pending;
    },
    invalidate(rejectedToken, reason) {
      const current = held?.token;
      if (rejectedToken !== undefined && current !== undefined && rejectedToken !== current) return;
      const token = rejectedToken ?? current;
      if (token === undefined) return;
      rejected = { token, reason };
      // Kept to recognise the refused token if a token file still holds it.
      held = undefined;
    },
    get expiresAt() {
      return held?.expMs === undefined ? undefined : new Date(held.expMs);
    },
    renewable,
    close() {
      closed = true;
      held = undefined;
      rejected = undefined;
      return Promise.resolve();
    },
  };
}

function closedError(): SecretsAgentError {
  return new SecretsAgentError('ERR_USAGE', 'the token provider is closed');
}
