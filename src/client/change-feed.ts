// Client of the store's change feed (`GET /secrets/v1/changes/{store}`): one long poll at a time,
// and a watch loop that owns its retries (backoff with full jitter, Retry-After as a floor).
// A store without the endpoint (a real DC/OS store, an older secrets-agent) answers 404; the
// loop then ends with `unsupported` so the caller can fall back to polling the secrets.
import { setTimeout as delay } from 'node:timers/promises';
import { fullJitterDelayMs, resolveBackoff, type BackoffOptions } from '../core/backoff.js';
import { SecretsAgentError, isSecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { createApiCaller } from './api-caller.js';
import { assertOptionalPositiveInteger, parseBaseUrl } from './client-options.js';
import { unexpectedResponse, type HttpErrorContext } from './http-error.js';
import type { HttpResponse, HttpTransport } from './http-transport.js';
import type { TokenProvider } from './token-provider.js';

export const defaultChangeWaitMs = 60_000;
/** Time the server may take beyond `wait` before a poll counts as lost. */
const pollGraceMs = 15_000;
const defaultWatchBackoff: BackoffOptions = { baseDelayMs: 500, maxDelayMs: 30_000 };

/** Options of the change-feed client: transport, token source and store name. */
export interface ChangeFeedClientOptions {
  /** Store base URL, as for the Secrets API client. */
  readonly url: string;
  readonly transport: HttpTransport;
  readonly tokenProvider: TokenProvider;
  /** Default `default`. */
  readonly store?: string;
  readonly log?: Logger;
}

/** One long poll: from which index, below which folder, how long to wait. */
export interface FetchChangesOptions {
  /** The index of the previous answer; without it the store answers at once with a reset. */
  readonly index?: string | undefined;
  /** How long the store may hold the request when nothing changed. */
  readonly waitMs: number;
  /** Only paths equal to or below this folder. */
  readonly prefix?: string | undefined;
  readonly signal?: AbortSignal;
}

/** One change-feed answer: the new index and the paths that changed (or a reset). */
export interface SecretChanges {
  readonly index: string;
  /** Changed secret paths, sorted; values are never part of the feed. */
  readonly paths: readonly string[];
  /** The store does not know the index (restart, another instance, too old): re-read everything you use. */
  readonly reset: boolean;
}

/** Single requests to `GET /secrets/v1/changes/{store}`; no retries. */
export interface ChangeFeedClient {
  /** One long poll; throws ERR_CHANGES_UNSUPPORTED when the store has no change feed. */
  fetchChanges(options: FetchChangesOptions): Promise<SecretChanges>;
}

/** Creates the single-request client (one attempt per call; no retries here). */
export function createChangeFeedClient(options: ChangeFeedClientOptions): ChangeFeedClient {
  const call = createApiCaller({
    baseUrl: parseBaseUrl(options.url),
    transport: options.transport,
    tokenProvider: options.tokenProvider,
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  const path = `/secrets/v1/changes/${encodeURIComponent(options.store ?? 'default')}`;

  return {
    async fetchChanges(fetch) {
      assertWaitMs(fetch.waitMs);
      const query = new URLSearchParams();
      if (fetch.index !== undefined) query.set('index', fetch.index);
      query.set('wait', `${fetch.waitMs}ms`);
      if (fetch.prefix !== undefined && fetch.prefix !== '') query.set('path', fetch.prefix);
      try {
        const { response, context } = await call({
          method: 'GET',
          path,
          query: query.toString(),
          area: 'secret',
          headers: { accept: 'application/json' },
          timeoutMs: fetch.waitMs + pollGraceMs,
          ...(fetch.signal === undefined ? {} : { signal: fetch.signal }),
        });
        return parseSecretChanges(response, context);
      } catch (error) {
        if (isMissingEndpoint(error)) {
          throw new SecretsAgentError(
            'ERR_CHANGES_UNSUPPORTED',
            `the store at ${options.url} has no change feed (GET ${path} answered ${String(error.details?.['status'])})`,
            {
              details: { status: error.details?.['status'], path },
              cause: error,
            },
          );
        }
        throw error;
      }
    },
  };
}

/** What `watchSecretChanges` takes: the client options, where to start, and the handlers. */
export interface WatchSecretChangesOptions extends ChangeFeedClientOptions {
  /** Only paths equal to or below this folder. */
  readonly prefix?: string;
  /** Long-poll wait per request; default 60 000 (the store caps it at 5 min). */
  readonly waitMs?: number;
  /** Start from this index (e.g. from a previous watch); without it the first answer is a reset. */
  readonly index?: string;
  /** Called with each non-empty batch and each reset; the index only moves on once it resolves,
   * so a batch whose handler throws is delivered again after a backoff. */
  onChanges(paths: readonly string[], info: { readonly reset: boolean; readonly index: string }): void | Promise<void>;
  /** Called before each backoff wait after a failed poll or handler. */
  readonly onError?: (error: unknown, retry: { readonly attempt: number; readonly delayMs: number }) => void;
  readonly backoff?: BackoffOptions;
  /** Stops the loop; the promise then resolves with `stopped`. */
  readonly signal?: AbortSignal;
}

/** How a watch ended and the index it reached. */
export interface WatchResult {
  /** `unsupported`: the store has no change feed (fall back to polling); `stopped`: the signal aborted. */
  readonly outcome: 'stopped' | 'unsupported';
  /** The last index reached (pass it as `index` to resume). */
  readonly index: string | undefined;
}

/**
 * Long-polls until `signal` aborts or the store turns out to have no change feed; never rejects
 * for store trouble (it backs off and tries again), only for invalid options.
 *
 * @example
 * ```ts
 * import { createHttpTransport, createTokenProvider, watchSecretChanges } from 'secrets-agent';
 *
 * const controller = new AbortController();
 * const result = await watchSecretChanges({
 *   url: 'https://master.mesos',
 *   transport: createHttpTransport({ caFile: '/etc/ssl/dcos-ca.crt' }),
 *   tokenProvider: createTokenProvider({ method: { kind: 'token-file', file: '/run/secrets-agent/token' } }),
 *   prefix: 'billing',
 *   onChanges: (paths, { reset }) => console.log(reset ? 're-read everything' : paths),
 *   signal: controller.signal,
 * });
 * if (result.outcome === 'unsupported') console.log('no change feed: poll instead');
 * ```
 */
export async function watchSecretChanges(options: WatchSecretChangesOptions): Promise<WatchResult> {
  const waitMs = options.waitMs ?? defaultChangeWaitMs;
  assertWaitMs(waitMs);
  if (typeof options.onChanges !== 'function')
    throw new SecretsAgentError('ERR_USAGE', 'Expected `onChanges` to be a function');
  const backoff = resolveBackoff(options.backoff ?? defaultWatchBackoff);
  const client = createChangeFeedClient(options);
  const { signal, log } = options;
  let index = options.index;
  let failures = 0;
  const stopped = (): boolean => signal?.aborted === true;

  while (!stopped()) {
    try {
      const answer = await client.fetchChanges({
        index,
        waitMs,
        prefix: options.prefix,
        ...(signal === undefined ? {} : { signal }),
      });
      if (answer.reset || answer.paths.length > 0)
        await options.onChanges(answer.paths, { reset: answer.reset, index: answer.index });
      index = answer.index;
      failures = 0;
    } catch (error) {
      if (stopped()) break;
      if (isSecretsAgentError(error, 'ERR_CHANGES_UNSUPPORTED')) {
        log?.info(
          { url: options.url, status: error.details?.['status'] },
          'the store has no change feed; fall back to polling',
        );
        return { outcome: 'unsupported', index };
      }
      failures += 1;
      const retryAfterMs = isSecretsAgentError(error) ? error.details?.['retryAfterMs'] : undefined;
      const jitterMs = fullJitterDelayMs(Math.min(failures - 1, 30), backoff);
      const delayMs = typeof retryAfterMs === 'number' ? Math.max(jitterMs, retryAfterMs) : jitterMs;
      options.onError?.(error, { attempt: failures, delayMs });
      log?.warn({ err: error, attempt: failures, delayMs }, 'change feed poll failed; retrying');
      if (!(await sleepUnlessAborted(delayMs, signal))) break;
    }
  }
  return { outcome: 'stopped', index };
}

function isMissingEndpoint(error: unknown): error is SecretsAgentError {
  if (!isSecretsAgentError(error) || error.code === 'ERR_STORE_NOT_FOUND') return false;
  const status = error.details?.['status'];
  // 404: no such route (our router, Admin Router's HTML page); 405/501: a proxy that knows no GET there.
  return status === 404 || status === 405 || status === 501;
}

function parseSecretChanges(response: HttpResponse, context: HttpErrorContext): SecretChanges {
  let body: unknown;
  try {
    body = JSON.parse(response.body.toString('utf8'));
  } catch {
    throw unexpectedResponse(context, response.status, 'the body is not JSON');
  }
  if (typeof body !== 'object' || body === null)
    throw unexpectedResponse(context, response.status, 'the body is not a JSON object');
  const { index, paths, reset } = body as Record<string, unknown>;
  if (typeof index !== 'string' || index === '')
    throw unexpectedResponse(context, response.status, '`index` is not a non-empty string');
  if (!Array.isArray(paths) || !paths.every((path): path is string => typeof path === 'string')) {
    throw unexpectedResponse(context, response.status, '`paths` is not an array of strings');
  }
  if (typeof reset !== 'boolean') throw unexpectedResponse(context, response.status, '`reset` is not a boolean');
  return { index, paths, reset };
}

function assertWaitMs(waitMs: unknown): void {
  if (waitMs === 0) return;
  assertOptionalPositiveInteger(waitMs, 'waitMs');
}

// Resolves true after `ms`, false at once when `signal` aborts first.
function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return delay(ms, true, { signal }).catch(() => false);
}
