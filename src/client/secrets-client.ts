// The library's client: the DC/OS Secrets API with authentication handled (service account,
// username + password, token or token file), paths optionally confined under `basePath`, and
// the Portworx conveniences (JSON maps inside `value`, create-or-update). It calls only the
// Secrets API and the IAM login endpoint.
import { describeValue } from '../config/describe-value.js';
import { SecretsAgentError, isSecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { SealStatus, SecretRecord } from '../core/secrets-api.js';
import type { AuthMethod } from '../auth/auth-method.js';
import {
  loadServiceAccountCredential,
  parseServiceAccountCredential,
  type ServiceAccountCredential,
} from '../auth/credential.js';
import { chooseLoginEndpoint } from '../auth/login-endpoint.js';
import { createTokenProvider, type TokenProvider } from '../auth/token-provider.js';
import { confinePath, parseBasePath } from './base-path.js';
import { assertOptionalPositiveInteger } from './client-options.js';
import { createHttpTransport } from './http-transport.js';
import { createIamClient } from './iam-client.js';
import { retryWithBackoff, type RetryOptions } from './retry.js';
import { createSecretsHttpApi } from './secrets-http-api.js';

/** What `createSecretsClient` takes: where the store is, how to verify it, and one way to log in. */
export interface SecretsClientOptions {
  /** Store base URL, e.g. `https://master.mesos`. */
  url: string;
  /** PEM CA bundle the store's certificate must chain to. TLS is always verified. */
  caFile?: string;
  /**
   * Service-account credential (docs/wire-formats.md#service-account-credential): the object, its JSON text,
   * or a file path.
   */
  credential?: ServiceAccountCredential | string;
  /** Local user login, as Portworx does (DCOS_SECRETS_USERNAME / DCOS_SECRETS_PASSWORD). */
  username?: string;
  password?: string;
  /** An auth token. Alone: used until refused or expired. With a credential or password: the first token. */
  token?: string;
  /** A file holding an auth token; re-read when its token is refused or near expiry. */
  tokenFile?: string;
  /**
   * A credential already resolved (resolveAuthMethod: flags and env in the order of docs/decisions.md#agent);
   * instead of the four above.
   */
  auth?: AuthMethod;
  /** Full login URL; default `<url>/acs/api/v1/auth/login` (see src/auth/login-endpoint.ts). */
  loginEndpoint?: string;
  /** Every path is taken relative to this folder and may not leave it. */
  basePath?: string;
  /** Deadline of each HTTP request. Default 30_000. */
  timeoutMs?: number;
  /** Connections per origin. Default 8. */
  connections?: number;
  /** Store name; only `default` exists in DC/OS. */
  store?: string;
  /** Retries for reads (get, list, seal status). Default none: one attempt. Writes are never retried,
   * since a retried create whose first attempt landed would report ERR_SECRET_EXISTS. */
  retry?: RetryOptions;
  log?: Logger;
}

/** A value to store: a string is a text secret, bytes a binary one, an object is stored as JSON text (Portworx). */
export type SecretValue = string | Uint8Array | Readonly<Record<string, unknown>>;

/** Metadata stored with a text secret on create or update. */
export interface SecretWriteOptions {
  /** Text secrets only. */
  description?: string;
  labels?: readonly string[];
}

/** A Secrets API client that logs in, renews its token and retries reads as configured. */
export interface SecretsClient {
  /** A text secret's value. A binary secret that is not UTF-8 → ERR_ACCEPT_UNSUPPORTED (use getSecretBytes). */
  getSecret(path: string): Promise<string>;
  /** The raw bytes of any secret (text as UTF-8). */
  getSecretBytes(path: string): Promise<Uint8Array>;
  /** The whole record: type, bytes, author, created, description, labels. */
  getSecretRecord(path: string): Promise<SecretRecord>;
  /** Portworx style: a JSON object inside `value` → that object; anything else → `{ [path]: value }`. */
  getSecretMap(path: string): Promise<Record<string, unknown>>;
  /** ERR_SECRET_EXISTS when the path is taken. */
  createSecret(path: string, value: SecretValue, options?: SecretWriteOptions): Promise<void>;
  /** ERR_SECRET_NOT_FOUND when absent. */
  updateSecret(path: string, value: SecretValue, options?: SecretWriteOptions): Promise<void>;
  /** Create, or update when it exists (the Portworx create-or-update flow). */
  putSecret(path: string, value: SecretValue, options?: SecretWriteOptions): Promise<'created' | 'updated'>;
  /** ERR_SECRET_NOT_FOUND when absent. */
  deleteSecret(path: string): Promise<void>;
  /** Recursive, sorted keys relative to `path` (default: the base path / store root). */
  listSecrets(path?: string): Promise<string[]>;
  sealStatus(): Promise<SealStatus>;
  /** The current auth token, logging in when needed (what `secrets-agent login` saves). */
  getToken(): Promise<string>;
  /** Expiry of the token held now, when it has one. */
  readonly tokenExpiresAt: Date | undefined;
  /** Closes connections and forgets the token. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Creates a client. Credentials are checked now (a malformed credential fails here, not on first use).
 *
 * @example
 * ```ts
 * import { createSecretsClient, isSecretsAgentError } from 'secrets-agent';
 *
 * const client = createSecretsClient({
 *   url: 'https://master.mesos',
 *   caFile: '/etc/ssl/dcos-ca.crt',
 *   credential: '/etc/secrets-agent/credential.json', // the JSON itself, its text, or a file path
 *   retry: { maxAttempts: 3 },
 * });
 * try {
 *   const password = await client.getSecret('billing/db-password'); // a text secret's value
 *   connectToDatabase(password);
 *   await client.putSecret('billing/last-rotation', new Date().toISOString());
 * } catch (error) {
 *   if (isSecretsAgentError(error, 'ERR_SECRET_NOT_FOUND')) console.error(error.message);
 *   else throw error;
 * } finally {
 *   await client.close();
 * }
 * ```
 */
export function createSecretsClient(options: SecretsClientOptions): SecretsClient {
  if (typeof options !== 'object' || options === null)
    throw new SecretsAgentError('ERR_USAGE', `Expected options to be an object, got ${describeValue(options)}`);
  assertOptionalPositiveInteger(options.timeoutMs, 'timeoutMs');
  const base = parseBasePath(options.basePath);
  const log = options.log === undefined ? {} : { log: options.log };
  const transport = createHttpTransport({
    ...(options.caFile === undefined ? {} : { caFile: options.caFile }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.connections === undefined ? {} : { connections: options.connections }),
  });
  let tokens: TokenProvider;
  try {
    const iam = createIamClient({ url: options.url, transport, ...log });
    const method = selectAuthMethod(options);
    const renewable = method.kind === 'service-account' || method.kind === 'password';
    tokens = createTokenProvider({
      method,
      ...(renewable
        ? {
            login: (request, endpoint) => iam.login(request, endpoint),
            loginEndpoint: options.loginEndpoint ?? chooseLoginEndpoint({ url: options.url }),
          }
        : {}),
      ...(renewable && options.token !== undefined ? { initialToken: options.token } : {}),
      ...log,
    });
  } catch (error) {
    void transport.close();
    throw error;
  }
  const api = createSecretsHttpApi({
    url: options.url,
    tokenProvider: tokens,
    transport,
    ...(options.store === undefined ? {} : { store: options.store }),
    ...log,
  });
  const read = <T>(run: () => Promise<T>): Promise<T> =>
    options.retry === undefined ? run() : retryWithBackoff(run, options.retry);
  const full = (path: string): string => confinePath(base, path);
  let closing: Promise<void> | undefined;

  const getSecretRecord = (path: string): Promise<SecretRecord> => read(() => api.getSecret(full(path)));
  const getSecret = async (path: string): Promise<string> => {
    const record = await getSecretRecord(path);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(record.bytes);
    } catch (error) {
      throw new SecretsAgentError(
        'ERR_ACCEPT_UNSUPPORTED',
        `Secret \`${path}\` is binary and not UTF-8 text: use getSecretBytes()`,
        { details: { path }, cause: error },
      );
    }
  };

  const client: SecretsClient = {
    getSecret,
    async getSecretBytes(path) {
      return (await getSecretRecord(path)).bytes;
    },
    getSecretRecord,
    async getSecretMap(path) {
      const text = await getSecret(path);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return { [path]: text };
      }
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : { [path]: text };
    },
    async createSecret(path, value, writeOptions) {
      await api.createSecret(full(path), toInput(path, value, writeOptions));
    },
    async updateSecret(path, value, writeOptions) {
      await api.updateSecret(full(path), toInput(path, value, writeOptions));
    },
    async putSecret(path, value, writeOptions) {
      const input = toInput(path, value, writeOptions);
      const target = full(path);
      try {
        await api.createSecret(target, input);
        return 'created';
      } catch (error) {
        if (!isSecretsAgentError(error, 'ERR_SECRET_EXISTS')) throw error;
      }
      await api.updateSecret(target, input);
      return 'updated';
    },
    async deleteSecret(path) {
      await api.deleteSecret(full(path));
    },
    listSecrets(path = '') {
      return read(() => api.listSecrets(confinePath(base, path, { listing: true })));
    },
    sealStatus: () => read(() => api.sealStatus()),
    getToken: () => tokens.getToken(),
    get tokenExpiresAt() {
      return tokens.expiresAt;
    },
    close() {
      closing ??= (async () => {
        await api.close();
        await transport.close();
        await tokens.close();
      })();
      return closing;
    },
  };
  return client;
}

// The credential to use, in the order of docs/decisions.md#agent: credential, token file, username + password, token.
function selectAuthMethod(options: SecretsClientOptions): AuthMethod {
  const { credential, tokenFile, username, password, token, auth } = options;
  if (token !== undefined && (typeof token !== 'string' || token === ''))
    throw new SecretsAgentError('ERR_USAGE', 'Expected `token` to be a non-empty string');
  if (auth !== undefined) {
    if (credential !== undefined || tokenFile !== undefined || username !== undefined || password !== undefined) {
      throw new SecretsAgentError(
        'ERR_USAGE',
        'Pass `auth` or `credential`/`tokenFile`/`username`+`password`, not both',
      );
    }
    if (auth.kind === 'service-account')
      return { ...auth, credential: parseServiceAccountCredential(auth.credential, auth.source) };
    if (auth.kind === 'token' && token !== undefined)
      throw new SecretsAgentError('ERR_USAGE', 'Pass `token` or a token `auth`, not both');
    return auth;
  }
  if (credential !== undefined) {
    const parsed =
      typeof credential === 'string'
        ? loadServiceAccountCredential(credential, '`credential`')
        : parseServiceAccountCredential(credential, '`credential`');
    return { kind: 'service-account', credential: parsed, source: '`credential`' };
  }
  if (tokenFile !== undefined) {
    if (typeof tokenFile !== 'string' || tokenFile === '')
      throw new SecretsAgentError('ERR_USAGE', 'Expected `tokenFile` to be a file path');
    if (token !== undefined) throw new SecretsAgentError('ERR_USAGE', 'Pass `token` or `tokenFile`, not both');
    return { kind: 'token-file', file: tokenFile };
  }
  if (username !== undefined || password !== undefined) {
    if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
      throw new SecretsAgentError(
        'ERR_USAGE',
        'Username and password are required to authenticate: pass both `username` and `password`',
      );
    }
    return { kind: 'password', uid: username, password, source: '`username`' };
  }
  if (token !== undefined) return { kind: 'token', token, source: '`token`' };
  throw new SecretsAgentError(
    'ERR_USAGE',
    'No credentials: pass `credential`, `tokenFile`, `token`, `username` and `password`, or `auth`',
  );
}

function toInput(
  path: string,
  value: SecretValue,
  options: SecretWriteOptions = {},
): { type: 'text' | 'binary'; bytes: Uint8Array; description?: string; labels?: readonly string[] } {
  const extra = {
    ...(options.description === undefined ? {} : { description: options.description }),
    ...(options.labels === undefined ? {} : { labels: options.labels }),
  };
  if (typeof value === 'string') return { type: 'text', bytes: new TextEncoder().encode(value), ...extra };
  if (value instanceof Uint8Array) return { type: 'binary', bytes: value, ...extra };
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    return { type: 'text', bytes: new TextEncoder().encode(JSON.stringify(value)), ...extra };
  }
  throw new SecretsAgentError(
    'ERR_USAGE',
    `Secret \`${path}\`: expected a string, a Uint8Array or a plain object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}`,
  );
}
