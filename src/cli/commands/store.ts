// `secrets-agent store ...`: run the Secret Store with its IAM (`serve`), initialize it (`init`),
// and seal, unseal or inspect it (`seal`, `unseal`, `seal-status`; store-seal.ts) on a server
// (`--url`) or in a local data directory (`--data-dir`).
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Argv, Options } from 'yargs';
import { chooseLoginEndpoint } from '../../auth/login-endpoint.js';
import { parseDurationMs } from '../../core/duration.js';
import { SecretsAgentError } from '../../core/errors.js';
import { logLevelEnvVar, logLevels, resolveLogLevel, type LogLevel } from '../../core/log-level.js';
import { createLogger, type Logger } from '../../core/log.js';
import { createBreakGlassAccess } from '../../store/iam/break-glass-access.js';
import { createIam, defaultTokenLifetimeSeconds, type Iam } from '../../store/iam/iam.js';
import { superuserRid } from '../../store/iam/rid.js';
import type { SecretStore } from '../../store/secret-store.js';
import { createStoreServer } from '../../store/server.js';
import type { StorageBackend } from '../../store/storage/backend.js';
import { openStorage } from '../../store/storage/open-storage.js';
import { defaultStoreName, initRecordKey } from '../../store/store-keys.js';
import { connectionOptions, groupConnectionOptions, zookeeperAuthEnvVar } from '../connection.js';
import { describeEnvNames, readBooleanSetting, readListSetting, readTextSetting } from '../flag-or-env.js';
import { applyIamBootstrap, planIamBootstrap, type IamBootstrapPlan } from '../iam-bootstrap.js';
import type { CliIo, CommandResult } from '../io.js';
import { writeLine } from '../io.js';
import { passwordFileFlag } from '../password-input.js';
import type { RegisterCommands } from './index.js';
import { readOperatorKey, runInit, runSeal, runSealStatus, runUnseal } from './store-seal.js';
import { fileReadError } from '../../core/file-read-error.js';

export const defaultListen = '127.0.0.1:1337';
const storageOptions = {
  'data-dir': {
    type: 'string',
    demandOption: true,
    describe: 'The store data directory (file storage lives in DIR/storage)',
  },
  storage: {
    type: 'string',
    describe:
      'Storage location: `file:` (default, under --data-dir), `file:///abs/dir`, or a ZooKeeper ensemble `zk://host1:2181,host2:2181,host3:2181/chroot`',
  },
  'instance-id': {
    type: 'string',
    default: 'default',
    describe: "Names this instance's seal state when several share one storage",
  },
  'zk-auth': {
    type: 'string',
    describe:
      'ZooKeeper digest auth `user:password` for `zk://` storage (or set ZK_AUTH: argv is visible to other local users)',
  },
} as const;

const adminOptions = {
  ...connectionOptions,
  'data-dir': {
    type: 'string',
    describe: 'A local store data directory, opened in-process (no server may be running on it); or give --url',
  },
  storage: storageOptions.storage,
  'instance-id': storageOptions['instance-id'],
  'zk-auth': storageOptions['zk-auth'],
  json: { type: 'boolean', default: false, describe: 'Print the result as JSON' },
} as const;

const bootstrapOptions = {
  superuser: {
    type: 'string',
    describe: 'Create this user as the first superuser (dcos:superuser full) if it does not exist',
  },
  'password-file': {
    type: 'string',
    describe: 'The --superuser password: a file, or `-` for stdin (default: prompt on a terminal; never argv)',
  },
  'service-account': {
    type: 'string',
    describe: 'Create this service account with a fresh RSA keypair (needs --credential-out)',
  },
  'credential-out': {
    type: 'string',
    describe: 'Write the --service-account credential JSON here (mode 0600; must not exist)',
  },
  grant: {
    type: 'string',
    array: true,
    describe: 'RID:ACTION to grant the --service-account, e.g. dcos:secrets:default:/app/*:read (repeatable)',
  },
  'public-url': {
    type: 'string',
    describe: "The URL clients reach the store at, for the credential's login_endpoint (serve default: the listen URL)",
  },
} as const;

// `store serve`'s options. Each also comes from its environment variable (the flag wins), so a
// unit file or a container can configure the server without argv; no yargs defaults here, or a
// default would hide the variable: serveSettingsFrom applies the defaults.
export const serveEnvVars = {
  'data-dir': 'SECRETS_AGENT_STORE_DATA_DIR',
  storage: 'SECRETS_AGENT_STORE_STORAGE',
  'instance-id': 'SECRETS_AGENT_STORE_INSTANCE_ID',
  'zk-auth': zookeeperAuthEnvVar,
  listen: 'SECRETS_AGENT_STORE_LISTEN',
  'tls-cert': 'SECRETS_AGENT_STORE_TLS_CERT',
  'tls-key': 'SECRETS_AGENT_STORE_TLS_KEY',
  'token-file': 'SECRETS_AGENT_STORE_TOKEN_FILE',
  'token-lifetime': 'SECRETS_AGENT_STORE_TOKEN_LIFETIME',
  'metrics-listen': 'SECRETS_AGENT_STORE_METRICS_LISTEN',
  'log-level': logLevelEnvVar,
  'pgp-public-key': 'SECRETS_AGENT_STORE_PGP_PUBLIC_KEY',
  'auto-init': 'SECRETS_AGENT_STORE_AUTO_INIT',
  superuser: 'SECRETS_AGENT_STORE_SUPERUSER',
  'password-file': 'SECRETS_AGENT_STORE_PASSWORD_FILE',
  'service-account': 'SECRETS_AGENT_STORE_SERVICE_ACCOUNT',
  'credential-out': 'SECRETS_AGENT_STORE_CREDENTIAL_OUT',
  grant: 'SECRETS_AGENT_STORE_GRANT',
  'public-url': 'SECRETS_AGENT_STORE_PUBLIC_URL',
} as const;

const serveOptions = {
  ...storageOptions,
  'instance-id': {
    type: 'string',
    describe: "Names this instance's seal state when several share one storage (default `default`)",
  },
  'zk-auth': {
    type: 'string',
    describe:
      'ZooKeeper digest auth `user:password` for `zk://` storage (prefer the variable: argv is visible to other local users)',
  },
  listen: { type: 'string', describe: `HOST:PORT to listen on; port 0 picks a free one (default ${defaultListen})` },
  'tls-cert': { type: 'string', describe: 'PEM certificate file (with --tls-key: serve HTTPS)' },
  'tls-key': { type: 'string', describe: 'PEM private key file for --tls-cert' },
  'token-file': {
    type: 'string',
    describe: 'Optional break-glass bootstrap token file: whoever presents the token is superuser, besides the IAM',
  },
  'token-lifetime': {
    type: 'string',
    describe: 'Lifetime of issued auth tokens: a duration such as 90m, 12h or 3600 (seconds); default 120h (5 days)',
  },
  'metrics-listen': {
    type: 'string',
    describe:
      'HOST:PORT serving GET /metrics without authentication (default off: /metrics on --listen, authenticated)',
  },
  'log-level': { type: 'string', choices: logLevels, describe: 'Log level (default info)' },
  'pgp-public-key': {
    type: 'string',
    describe: 'Operator OpenPGP public key (armor, binary, or base64 of `gpg --export`) for the first init',
  },
  'auto-init': {
    type: 'boolean',
    describe: 'Initialize on first start (default true; --no-auto-init: wait for PUT /init)',
  },
  ...bootstrapOptions,
} as const;

// The serve options with their variables named, and --data-dir required only when its variable is unset.
function describeServeOptions(io: CliIo): Record<string, Options> {
  const described = describeEnvNames(serveOptions, serveEnvVars);
  const dataDirFromEnv = readTextSetting(undefined, io.env, serveEnvVars['data-dir']) !== undefined;
  return { ...described, 'data-dir': { ...described['data-dir'], demandOption: !dataDirFromEnv } };
}

// Flags over variables over defaults, for serveStore.
function serveSettingsFrom(argv: Record<string, unknown>, io: CliIo): ServeStoreOptions {
  const text = (key: keyof typeof serveEnvVars): string | undefined =>
    readTextSetting(argv[key], io.env, serveEnvVars[key]);
  return {
    dataDir: text('data-dir') ?? '',
    storage: text('storage'),
    instanceId: text('instance-id') ?? 'default',
    zookeeperAuth: text('zk-auth'),
    listen: text('listen') ?? defaultListen,
    tlsCert: text('tls-cert'),
    tlsKey: text('tls-key'),
    tokenFile: text('token-file'),
    tokenLifetime: text('token-lifetime'),
    metricsListen: text('metrics-listen'),
    logLevel: resolveLogLevel({ flag: argv['log-level'], env: io.env, fallback: 'info' }),
    pgpPublicKey: text('pgp-public-key'),
    autoInit: readBooleanSetting(argv['auto-init'], io.env, serveEnvVars['auto-init']) ?? true,
    superuser: text('superuser'),
    passwordFile: passwordFileFlag(argv, 2) ?? readTextSetting(undefined, io.env, serveEnvVars['password-file']),
    serviceAccount: text('service-account'),
    credentialOut: text('credential-out'),
    grants: readListSetting(argv['grant'], io.env, serveEnvVars.grant),
    publicUrl: text('public-url'),
  };
}

// Registers the `store` command group.
export const registerStoreCommands: RegisterCommands = (parser: Argv, io: CliIo, result: CommandResult): Argv =>
  parser.command('store', 'Run and administer the Secret Store', (store: Argv) =>
    store
      .command(
        'serve',
        'Serve the Secrets API and the IAM (initializes the store on first start); runs until SIGTERM/SIGINT',
        (command: Argv) =>
          command
            .options(describeServeOptions(io))
            .group(['data-dir', 'storage', 'instance-id', 'zk-auth'], 'Storage options:')
            .group(
              ['listen', 'tls-cert', 'tls-key', 'token-file', 'token-lifetime', 'metrics-listen', 'log-level'],
              'Server options:',
            )
            .group(['pgp-public-key', 'auto-init', ...Object.keys(bootstrapOptions)], 'Initialization options:')
            .strict(false)
            .strictOptions(),
        async (argv) => {
          result.exitCode = await serveStore(serveSettingsFrom(argv as unknown as Record<string, unknown>, io), io);
        },
      )
      .command(
        'init',
        'Initialize the store (local --data-dir, or a server with --url) and print the PGP-encrypted unseal key',
        (command: Argv) =>
          command
            .options({
              ...adminOptions,
              'pgp-public-key': {
                type: 'string',
                describe:
                  'Operator OpenPGP public key; without it a bootstrap keypair is generated and kept in storage',
              },
              json: {
                type: 'boolean',
                default: false,
                describe: 'Print {"initialized","keys","pgp_fingerprints"} as JSON',
              },
              ...bootstrapOptions,
              'password-file': {
                type: 'string',
                describe:
                  'With --data-dir: the --superuser password (a file, or `-` for stdin). With --url: the --username password',
              },
            })
            .group(Object.keys(connectionOptions), 'Connection options:')
            .strict(false)
            .strictOptions(),
        async (argv) => {
          await runInit(
            argv,
            {
              pgpPublicKey: argv['pgp-public-key'],
              publicUrl: argv['public-url'],
              superuser: argv.superuser,
              passwordFile: passwordFileFlag(argv, 2),
              serviceAccount: argv['service-account'],
              credentialOut: argv['credential-out'],
              grants: argv.grant,
            },
            io,
          );
        },
      )
      .command(
        'seal',
        'Seal the store on purpose (it stays sealed across restarts)',
        (command: Argv) => groupConnectionOptions(command.options(adminOptions), adminOptions),
        async (argv) => {
          await runSeal(argv, io);
        },
      )
      .command(
        'unseal',
        'Unseal the store with the hex unseal key (and clear its seal intent)',
        (command: Argv) =>
          command
            .options({
              ...adminOptions,
              'key-file': { type: 'string', describe: 'File holding the hex unseal key (default: read it from stdin)' },
              auto: {
                type: 'boolean',
                default: false,
                describe: 'Unseal with the bootstrap private key kept in storage (PUT /auto-unseal)',
              },
            })
            .group(Object.keys(connectionOptions), 'Connection options:'),
        async (argv) => {
          await runUnseal(argv, io);
        },
      )
      .command(
        'seal-status',
        'Show whether the store is sealed (locally: whether it will start sealed)',
        (command: Argv) => groupConnectionOptions(command.options(adminOptions), adminOptions),
        async (argv) => {
          await runSealStatus(argv, io);
        },
      )
      .demandCommand(1, 'Name a store command; see `secrets-agent store --help`.'),
  );

export interface ServeStoreOptions {
  readonly dataDir: string;
  readonly storage?: string | undefined;
  readonly instanceId?: string | undefined;
  /** `user:password` for ZooKeeper digest auth (zk:// storage); never logged. */
  readonly zookeeperAuth?: string | undefined;
  readonly listen: string;
  readonly tlsCert?: string | undefined;
  readonly tlsKey?: string | undefined;
  /** Break-glass bootstrap token file (superuser besides the IAM). */
  readonly tokenFile?: string | undefined;
  /** A duration (`12h`, `90m`; a bare number is seconds); default 5 days. */
  readonly tokenLifetime?: string | undefined;
  /** HOST:PORT of a second, unauthenticated listener serving only GET /metrics. */
  readonly metricsListen?: string | undefined;
  readonly logLevel?: LogLevel | undefined;
  readonly pgpPublicKey?: string | undefined;
  readonly autoInit?: boolean | undefined;
  readonly superuser?: string | undefined;
  readonly passwordFile?: string | undefined;
  readonly serviceAccount?: string | undefined;
  readonly credentialOut?: string | undefined;
  readonly grants?: readonly string[] | undefined;
  readonly publicUrl?: string | undefined;
}

// Runs the server with the IAM until SIGTERM/SIGINT, then closes it and the storage; returns the exit code.
// Order: every flag and file is checked before the storage opens; the superuser exists before the
// server listens (so the "listening" line means a login works); the service account, whose
// credential names the server's URL, is made right after.
export async function serveStore(options: ServeStoreOptions, io: CliIo): Promise<number> {
  const stop = waitForStopSignal();
  try {
    const listen = parseListenFlag(options.listen);
    const metricsListen =
      options.metricsListen === undefined ? undefined : parseListenFlag(options.metricsListen, 'metrics-listen');
    if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
      throw new SecretsAgentError('ERR_USAGE', '--tls-cert and --tls-key go together: give both or neither');
    }
    const tokenLifetimeSeconds = parseTokenLifetime(options.tokenLifetime);
    const log = createLogger({
      destination: io.stderr,
      name: 'secret-store',
      level: options.logLevel ?? resolveLogLevel({ env: io.env, fallback: 'info' }),
    });
    const plan = await planIamBootstrap(options, io);
    const token =
      options.tokenFile === undefined ? undefined : await readTokenFile(resolve(io.cwd, options.tokenFile), log);
    const pgpPublicKeys =
      options.pgpPublicKey === undefined ? [] : [await readOperatorKey(resolve(io.cwd, options.pgpPublicKey))];
    const storage = await openStorage({
      dataDir: options.dataDir,
      storage: options.storage,
      zookeeperAuth: options.zookeeperAuth,
      log,
    });
    try {
      await announceKeyGeneration(storage, options, pgpPublicKeys, io);
      const iam = await createIam({ storage, log, tokenLifetimeSeconds });
      try {
        await applyIamBootstrap(iam, withoutServiceAccount(plan), { log, whenExists: 'skip' });
        const server = await createStoreServer({
          storage,
          access: token === undefined ? iam.access : createBreakGlassAccess(token, iam.access),
          routes: iam.routes,
          log,
          listen,
          ...(options.tlsCert !== undefined && options.tlsKey !== undefined
            ? { tls: { certFile: options.tlsCert, keyFile: options.tlsKey } }
            : {}),
          ...(options.instanceId === undefined ? {} : { instanceId: options.instanceId }),
          initialize: options.autoInit === false ? false : { pgpPublicKeys },
          metrics: { listen: metricsListen },
        });
        try {
          if (plan.serviceAccount !== undefined) {
            await applyIamBootstrap(
              iam,
              { serviceAccount: plan.serviceAccount },
              { log, loginEndpoint: chooseLoginEndpoint({ url: options.publicUrl ?? server.url }), whenExists: 'skip' },
            );
          }
          warnIfOperatorKeyIgnored(server.store, pgpPublicKeys, log);
          if (token === undefined && !hasSuperuser(iam)) {
            log.warn(
              'no account holds dcos:superuser: restart with --superuser UID --password-file FILE (or --token-file) to administer this store',
            );
          }
          const signal = await stop.signal;
          log.info({ signal }, 'stopping on signal');
        } finally {
          await server.close();
        }
      } finally {
        await iam.close();
      }
    } finally {
      await storage.close();
    }
    return 0;
  } finally {
    stop.dispose();
  }
}

// On a terminal, the first start says why it pauses: generating the RSA-4096 bootstrap key takes
// seconds (JSON log lines are for machines; this line is for the person watching).
async function announceKeyGeneration(
  storage: StorageBackend,
  options: ServeStoreOptions,
  pgpPublicKeys: readonly Uint8Array[],
  io: CliIo,
): Promise<void> {
  if (options.autoInit === false || pgpPublicKeys.length > 0 || (io.stderr as { isTTY?: boolean }).isTTY !== true)
    return;
  if ((await storage.get(initRecordKey(defaultStoreName))) !== undefined) return;
  writeLine(io.stderr, 'First start: generating the RSA-4096 bootstrap OpenPGP key (a few seconds)...');
}

function withoutServiceAccount(plan: IamBootstrapPlan): IamBootstrapPlan {
  return plan.superuser === undefined ? {} : { superuser: plan.superuser };
}

function hasSuperuser(iam: Iam): boolean {
  return [...iam.listAccounts('user'), ...iam.listAccounts('service')].some((account) =>
    iam.isAllowed(account.uid, superuserRid, 'full'),
  );
}

// Whole seconds of a duration flag (`12h`, `90m`, `3600` = seconds), at least one second.
function parseTokenLifetime(value: string | undefined): number {
  if (value === undefined) return defaultTokenLifetimeSeconds;
  const ms = parseDurationMs(value);
  if (ms === undefined || ms < 1000) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`--token-lifetime\` to be a duration of at least 1s such as 90m, 12h or 3600 (seconds), got \`${value.slice(0, 40)}\` (string)`,
      { details: { option: 'token-lifetime' } },
    );
  }
  return Math.floor(ms / 1000);
}

// `HOST:PORT`, `[::1]:PORT`; port 0..65535.
export function parseListenFlag(value: string, flag = 'listen'): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (match === null || host === undefined || !Number.isInteger(port) || port > 65535) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`--${flag}\` to be HOST:PORT (e.g. 127.0.0.1:1337), got \`${JSON.stringify(value).slice(1, -1).slice(0, 80)}\` (string)`,
    );
  }
  return { host, port };
}

async function readTokenFile(file: string, log: Logger): Promise<string> {
  let text: string;
  try {
    const info = await stat(file);
    // The token makes its holder superuser: say so when others can read it.
    if ((info.mode & 0o077) !== 0)
      log.warn(
        { file, mode: `0o${(info.mode & 0o777).toString(8)}` },
        '--token-file is readable by group or others; chmod 600 it',
      );
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw fileReadError('ERR_CONFIG_INVALID', `--token-file ${file}`, error);
  }
  const token = text.trim();
  if (token === '' || /\s/.test(token))
    throw new SecretsAgentError('ERR_CONFIG_INVALID', `--token-file ${file}: expected one token on one line`);
  return token;
}

function warnIfOperatorKeyIgnored(store: SecretStore, keys: readonly Uint8Array[], log: Logger): void {
  if (keys.length > 0 && store.seal.canAutoUnseal()) {
    log.warn(
      { pgpFingerprints: store.seal.initInfo().pgpFingerprints },
      '--pgp-public-key ignored: the store was already initialized with a bootstrap key',
    );
  }
}

// Resolves with the first SIGTERM/SIGINT; dispose() removes the handlers again.
function waitForStopSignal(): { signal: Promise<NodeJS.Signals>; dispose(): void } {
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = resolve;
  });
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return {
    signal,
    dispose() {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
