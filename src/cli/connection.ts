// How a CLI command reaches a store: over HTTP (`--url`, or DCOS_CLUSTER_URL, or the URL of the
// session `secrets-agent login` saved) with the credential of docs/decisions.md#agent, or, with
// `--data-dir` and no URL, the embedded store opened in-process. Every command that talks to a
// store takes its options from here, so flags, environment and session behave the same everywhere.
import type { Argv } from 'yargs';
import { SecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { resolveAuthMethod, type AuthMethod } from '../auth/auth-method.js';
import { chooseLoginEndpoint, storeUrlFromCredential } from '../auth/login-endpoint.js';
import { parsePrivateKey } from '../auth/credential.js';
import { loadSession, type Session } from '../auth/session.js';
import { defaultStateDir } from '../auth/state-dir.js';
import { readCachedToken, saveCachedToken, tokenCacheFile } from '../auth/token-cache.js';
import { createTokenProvider, type TokenProvider } from '../auth/token-provider.js';
import { parseBasePath } from '../client/base-path.js';
import { createHttpTransport, type HttpTransport } from '../client/http-transport.js';
import { createIamClient, type IamClient } from '../client/iam-client.js';
import { createSocketTransport } from '../client/socket-transport.js';
import { createSecretsHttpApi, type SecretsHttpApi } from '../client/secrets-http-api.js';
import type { EmbeddedStore } from '../store/embedded-store.js';
import type { CliIo } from './io.js';
import { fileReadError } from '../core/file-read-error.js';
import { loadFsPromises } from '../core/lazy-builtins.js';

export const urlEnvVar = 'DCOS_CLUSTER_URL';
export const caFileEnvVar = 'DCOS_SECRETS_CA_CERT_FILE';
export const zookeeperAuthEnvVar = 'ZK_AUTH';
const maxPasswordFileBytes = 4096;

/** yargs options for reaching a remote store. */
export const remoteOptions = {
  url: { type: 'string', describe: `Store URL (default: ${urlEnvVar}, else the saved session's)` },
  'ca-file': {
    type: 'string',
    describe: `PEM CA bundle the store's certificate must chain to (default: ${caFileEnvVar})`,
  },
  'credential-file': {
    type: 'string',
    describe: 'Service-account credential JSON file (default: DCOS_SERVICE_ACCOUNT_CREDENTIAL)',
  },
  'token-file': { type: 'string', describe: 'File holding an auth token' },
  username: { type: 'string', describe: 'Log in as this user (default: DCOS_SECRETS_USERNAME)' },
  'password-file': {
    type: 'string',
    describe: 'File holding the password for --username (default: DCOS_SECRETS_PASSWORD)',
  },
  'state-dir': {
    type: 'string',
    describe:
      'Where `login` keeps its session (default: /var/lib/secrets-agent as root, else ~/.local/state/secrets-agent)',
  },
} as const;

/** yargs options for opening the embedded store in-process. */
export const localOptions = {
  'data-dir': {
    type: 'string',
    describe: 'Open the embedded store in this directory in-process (when no URL is given)',
  },
  storage: {
    type: 'string',
    describe:
      'Storage location for --data-dir: `file:` (default, under the data directory), `file:///abs/dir` or `zk://hosts/chroot`',
  },
  'zk-auth': {
    type: 'string',
    describe: `ZooKeeper digest auth \`user:password\` for \`zk://\` storage (default: ${zookeeperAuthEnvVar}, which keeps it out of argv)`,
  },
} as const;

export const connectionOptions = { ...remoteOptions, ...localOptions } as const;

// Puts a command's options under two --help headings: its own, and how it reaches a store.
export function groupConnectionOptions<T>(command: Argv<T>, options: object): Argv<T> {
  const keys = Object.keys(options);
  return command
    .group(
      keys.filter((key) => !(key in connectionOptions)),
      'Command options:',
    )
    .group(
      keys.filter((key) => key in connectionOptions),
      'Connection options:',
    );
}

/** yargs option for commands that take secret paths (`secret ...`, `login`): not part of connectionOptions. */
export const basePathOption = {
  'base-path': {
    type: 'string',
    describe:
      "Resolve secret paths under this folder (default: the saved session's, from `login --base-path`; `/` for the store root)",
  },
} as const;

/** The parsed values of connectionOptions (yargs camel-cases them too; we read the kebab names). */
export interface ConnectionArgs {
  readonly url?: string | undefined;
  readonly caFile?: string | undefined;
  readonly credentialFile?: string | undefined;
  readonly tokenFile?: string | undefined;
  readonly username?: string | undefined;
  readonly passwordFile?: string | undefined;
  readonly stateDir?: string | undefined;
  readonly dataDir?: string | undefined;
  readonly storage?: string | undefined;
  /** `--zk-auth user:password` for zk:// storage with --data-dir. */
  readonly zookeeperAuth?: string | undefined;
  /** `--base-path`; `/` means the store root (overrides the session's). */
  readonly basePath?: string | undefined;
}

export interface RemoteConnection {
  readonly kind: 'remote';
  readonly url: string;
  readonly api: SecretsHttpApi;
  readonly iam: IamClient;
  readonly tokens: TokenProvider;
  readonly transport: HttpTransport;
  /** Where the credential came from (flag, variable, or the session file), for messages. */
  readonly authSource: string;
  /** Folder secret paths resolve under ('' = store root): --base-path, else the session's when it is used. */
  readonly basePath: string;
  /** With `cacheToken`: saves the token now held when it is not the cached one. */
  saveToken?(): Promise<void>;
  close(): Promise<void>;
}

export interface LocalConnection {
  readonly kind: 'local';
  readonly dataDir: string;
  readonly api: EmbeddedStore;
  /** --base-path, or '' (a session's base path is for its URL, not for a data directory). */
  readonly basePath: string;
  close(): Promise<void>;
}

export type Connection = RemoteConnection | LocalConnection;

export interface OpenConnectionOptions {
  readonly log?: Logger;
  /** Refuse the embedded store (commands that only make sense remotely, e.g. `iam`). */
  readonly remoteOnly?: boolean;
  /** Per-request deadline. */
  readonly timeoutMs?: number;
  /** Connections per origin for the pool. */
  readonly connections?: number;
  /** Requests in flight per connection (HTTP/1.1 pipelining); for short reads made all at once. */
  readonly pipelining?: number;
  /** A process that makes a few requests and ends (`run`): HTTP/1.1 over node:net instead of undici, whose
   * start-up costs more than those requests (see socket-transport.ts). No pipelining then. */
  readonly coldStart?: boolean;
  /** Start from the token a previous process cached for this store and service account (in the
   * state directory), and let saveToken() cache a new one (`run`; see token-cache.ts). */
  readonly cacheToken?: boolean;
  /** Wraps the token provider every client uses; `createTokens` makes one for another credential
   * (the daemon swaps in a rotated credential file behind the wrapper). */
  readonly wrapTokens?: (tokens: TokenProvider, createTokens: (method: AuthMethod) => TokenProvider) => TokenProvider;
}

// Picks up connection flags from a yargs argv (kebab-case keys).
export function connectionArgsFrom(argv: Readonly<Record<string, unknown>>): ConnectionArgs {
  const text = (key: string): string | undefined =>
    typeof argv[key] === 'string' && argv[key] !== '' ? (argv[key] as string) : undefined;
  return {
    url: text('url'),
    caFile: text('ca-file'),
    credentialFile: text('credential-file'),
    tokenFile: text('token-file'),
    username: text('username'),
    passwordFile: text('password-file'),
    stateDir: text('state-dir'),
    dataDir: text('data-dir'),
    storage: text('storage'),
    zookeeperAuth: text('zk-auth'),
    basePath: text('base-path'),
  };
}

// Opens the connection the arguments ask for. Remote: flags > environment > saved session.
export async function openConnection(
  args: ConnectionArgs,
  io: CliIo,
  options: OpenConnectionOptions = {},
): Promise<Connection> {
  const explicitUrl = args.url ?? nonEmpty(io.env[urlEnvVar]);
  if (explicitUrl === undefined && args.dataDir !== undefined) {
    if (options.remoteOnly === true)
      throw new SecretsAgentError(
        'ERR_USAGE',
        'this command needs a store server: pass --url (or set DCOS_CLUSTER_URL), not --data-dir',
      );
    const basePath = resolveBasePath(args.basePath, undefined);
    // Loaded here: the store's modules (openpgp among them) cost start-up time a remote connection does not need.
    const { openEmbeddedStore } = await import('../store/embedded-store.js');
    const zookeeperAuth = args.zookeeperAuth ?? nonEmpty(io.env[zookeeperAuthEnvVar]);
    const api = await openEmbeddedStore({
      dataDir: args.dataDir,
      ...(args.storage === undefined ? {} : { storage: args.storage }),
      ...(zookeeperAuth === undefined ? {} : { zookeeperAuth }),
      ...(options.log === undefined ? {} : { log: options.log }),
    });
    return { kind: 'local', dataDir: args.dataDir, api, basePath, close: () => api.close() };
  }

  const password = args.passwordFile === undefined ? undefined : await readPasswordFile(args.passwordFile);
  const method = resolveAuthMethod({
    credentialFile: args.credentialFile,
    tokenFile: args.tokenFile,
    username: args.username,
    password,
    env: io.env,
    // With a token cache (`run`), the key is read at the first login, which a cached token may spare.
    deferKeyCheck: options.cacheToken === true,
  });
  const session =
    method === undefined || explicitUrl === undefined
      ? await loadSession(args.stateDir ?? defaultStateDir({ env: io.env }))
      : undefined;
  // A credential names its login endpoint; with no URL given, its store is the one meant.
  const url =
    explicitUrl ??
    (method?.kind === 'service-account' ? storeUrlFromCredential(method.credential) : undefined) ??
    session?.url;
  if (url === undefined) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `no store to talk to: pass --url (or set ${urlEnvVar}), run \`secrets-agent login\` first, or pass --data-dir for the embedded store`,
    );
  }
  const chosen = chooseAuth(method, session, url);
  const basePath = resolveBasePath(
    args.basePath,
    session !== undefined && session.url === url ? session.basePath : undefined,
  );
  const caFile =
    args.caFile ??
    nonEmpty(io.env[caFileEnvVar]) ??
    (session !== undefined && session.url === url ? session.caFile : undefined);
  const transport = (options.coldStart === true ? createSocketTransport : createHttpTransport)({
    ...(caFile === undefined ? {} : { caFile }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    ...(options.connections === undefined ? {} : { connections: options.connections }),
    ...(options.pipelining === undefined ? {} : { pipelining: options.pipelining }),
  });
  const log = options.log === undefined ? {} : { log: options.log };
  try {
    const loginClient = createIamClient({ url, transport, ...log });
    const createTokens = (method: AuthMethod, initialToken?: string): TokenProvider => {
      const renewable = method.kind === 'service-account' || method.kind === 'password';
      return createTokenProvider({
        method,
        ...(renewable
          ? {
              login: (request, endpoint) => loginClient.login(request, endpoint),
              loginEndpoint: chooseLoginEndpoint({ url }),
            }
          : {}),
        ...(renewable && initialToken !== undefined ? { initialToken } : {}),
        ...log,
      });
    };
    const cacheFile =
      options.cacheToken === true && chosen.method.kind === 'service-account' && chosen.initialToken === undefined
        ? tokenCacheFile(args.stateDir ?? defaultStateDir({ env: io.env }), url, chosen.method.credential.uid)
        : undefined;
    const cachedToken = cacheFile === undefined ? undefined : readCachedToken(cacheFile);
    // The key was only checked for its PEM shape (deferKeyCheck): with no cached token the first
    // request logs in, so it is read now, and a broken key fails here, before any request.
    if (cachedToken === undefined && chosen.method.kind === 'service-account')
      parsePrivateKey(chosen.method.credential.private_key, chosen.method.source);
    const ownTokens = createTokens(chosen.method, chosen.initialToken ?? cachedToken);
    const tokens =
      options.wrapTokens === undefined ? ownTokens : options.wrapTokens(ownTokens, (method) => createTokens(method));
    const api = createSecretsHttpApi({ url, tokenProvider: tokens, transport, ...log });
    const iam = createIamClient({ url, transport, tokenProvider: tokens, ...log });
    let closing: Promise<void> | undefined;
    return {
      kind: 'remote',
      url,
      api,
      iam,
      tokens,
      transport,
      authSource: chosen.source,
      basePath,
      ...(cacheFile === undefined
        ? {}
        : {
            async saveToken() {
              const token = await ownTokens.getToken();
              if (token !== cachedToken) await saveCachedToken(cacheFile, token);
            },
          }),
      close() {
        closing ??= (async () => {
          await api.close();
          await iam.close();
          await loginClient.close();
          await transport.close();
          await tokens.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await transport.close();
    throw error;
  }
}

// Reads a secret-bearing one-line file (a password): trailing newline dropped, size capped.
export async function readPasswordFile(file: string): Promise<string> {
  let text: string;
  try {
    const bytes = await loadFsPromises().readFile(file);
    if (bytes.length > maxPasswordFileBytes)
      throw new SecretsAgentError(
        'ERR_INPUT_INVALID',
        `${file}: larger than ${maxPasswordFileBytes} bytes; expected one line holding a password`,
      );
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof SecretsAgentError) throw error;
    throw fileReadError('ERR_CONFIG_INVALID', file, error, { file });
  }
  const password = text.replace(/\r?\n$/, '');
  if (password === '')
    throw new SecretsAgentError('ERR_INPUT_INVALID', `${file}: empty; expected one line holding a password`);
  return password;
}

// A credential from flags or environment wins; else the saved session (its credential when it
// kept one, so an expired token can be renewed; else its token alone).
function chooseAuth(
  method: AuthMethod | undefined,
  session: Session | undefined,
  url: string,
): { method: AuthMethod; initialToken?: string; source: string } {
  if (method !== undefined) return { method, source: method.kind === 'token-file' ? '--token-file' : method.source };
  if (session === undefined) {
    throw new SecretsAgentError(
      'ERR_AUTH_LOGIN_REQUIRED',
      'no credential: pass --credential-file, --token-file or --username with --password-file (or set DCOS_SERVICE_ACCOUNT_CREDENTIAL), or run `secrets-agent login`',
    );
  }
  if (session.url !== url) {
    throw new SecretsAgentError(
      'ERR_AUTH_LOGIN_REQUIRED',
      `the saved session is for ${session.url}, not ${url}: run \`secrets-agent login --url ${url}\` or pass a credential`,
    );
  }
  if (session.credential !== undefined) {
    return {
      method: { kind: 'service-account', credential: session.credential, source: 'the saved session' },
      initialToken: session.token,
      source: 'the saved session',
    };
  }
  return { method: { kind: 'token', token: session.token, source: 'the saved session' }, source: 'the saved session' };
}

// The flag wins (`/` = the store root), else the session's base path, else none.
function resolveBasePath(flag: string | undefined, fromSession: string | undefined): string {
  if (flag !== undefined) return flag === '/' ? '' : parseBasePath(flag);
  return fromSession === undefined ? '' : parseBasePath(fromSession);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
