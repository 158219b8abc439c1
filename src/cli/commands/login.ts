// `secrets-agent login` (also `auth login`, the DC/OS CLI's name): log in once per node and keep
// the session (URL, token, the service-account credential when one was used, CA file, base path)
// in the state directory, mode 0600, for later commands and the daemon. A password is never kept:
// after a password login the session lasts as long as its token, then `login` is needed again
// (ERR_AUTH_LOGIN_REQUIRED). `logout` / `auth logout` removes the session.
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { resolveAuthMethod, type AuthMethod } from '../../auth/auth-method.js';
import { chooseLoginEndpoint, storeUrlFromCredential } from '../../auth/login-endpoint.js';
import { clearSession, saveSession, sessionFileName } from '../../auth/session.js';
import { defaultStateDir } from '../../auth/state-dir.js';
import { createTokenProvider } from '../../auth/token-provider.js';
import { parseBasePath } from '../../client/base-path.js';
import { createHttpTransport } from '../../client/http-transport.js';
import { createIamClient } from '../../client/iam-client.js';
import { SecretsAgentError } from '../../core/errors.js';
import { createCliLogger } from '../cli-logger.js';
import { caFileEnvVar, readPasswordFile, remoteOptions, urlEnvVar } from '../connection.js';
import type { CliIo } from '../io.js';
import { writeLine } from '../io.js';
import type { RegisterCommands } from './index.js';

const loginOptions = {
  url: remoteOptions.url,
  'ca-file': remoteOptions['ca-file'],
  'credential-file': remoteOptions['credential-file'],
  username: remoteOptions.username,
  'password-file': remoteOptions['password-file'],
  'state-dir': remoteOptions['state-dir'],
  'base-path': {
    type: 'string',
    describe: 'Folder that later `secret` commands resolve paths under (kept in the session)',
  },
  json: {
    type: 'boolean',
    default: false,
    describe: 'Print {"url","uid","sessionFile","expiresAt","basePath","renewable"} as JSON',
  },
} as const;

const logoutOptions = {
  'state-dir': remoteOptions['state-dir'],
  json: { type: 'boolean', default: false, describe: 'Print {"sessionFile","removed"} as JSON' },
} as const;

export interface LoginArgs {
  readonly url?: string | undefined;
  readonly caFile?: string | undefined;
  readonly credentialFile?: string | undefined;
  readonly username?: string | undefined;
  readonly passwordFile?: string | undefined;
  readonly stateDir?: string | undefined;
  readonly basePath?: string | undefined;
}

export interface LoginOutcome {
  readonly url: string;
  readonly uid: string;
  readonly sessionFile: string;
  readonly expiresAt: string | undefined;
  readonly basePath: string | undefined;
  /** Whether later commands can log in again by themselves (a service-account credential is kept). */
  readonly renewable: boolean;
}

// Registers `login`, `logout`, `auth login` and `auth logout`.
export const registerLoginCommands: RegisterCommands = (parser: Argv, io: CliIo): Argv => {
  const login = (command: Argv): Argv => command.options(loginOptions);
  const runLogin = async (argv: Readonly<Record<string, unknown>>): Promise<void> => {
    const outcome = await logIn(
      {
        url: text(argv['url']),
        caFile: text(argv['ca-file']),
        credentialFile: text(argv['credential-file']),
        username: text(argv['username']),
        passwordFile: text(argv['password-file']),
        stateDir: text(argv['state-dir']),
        basePath: text(argv['base-path']),
      },
      io,
    );
    if (argv['json'] === true) {
      writeLine(io.stdout, JSON.stringify(outcome));
      return;
    }
    const expiry = outcome.expiresAt === undefined ? '' : `; the token expires at ${outcome.expiresAt}`;
    const renewal = outcome.renewable
      ? ' (renewed automatically with the kept service-account credential)'
      : ' (then run `secrets-agent login` again)';
    writeLine(
      io.stdout,
      `Logged in to ${outcome.url} as ${outcome.uid}; session saved in ${outcome.sessionFile}${expiry}${renewal}`,
    );
  };
  const runLogout = async (argv: Readonly<Record<string, unknown>>): Promise<void> => {
    const stateDir = resolveStateDir(text(argv['state-dir']), io);
    const removed = await clearSession(stateDir);
    const sessionFile = resolve(stateDir, sessionFileName);
    if (argv['json'] === true) writeLine(io.stdout, JSON.stringify({ sessionFile, removed }));
    else writeLine(io.stdout, removed ? `Logged out: removed ${sessionFile}` : `No session in ${stateDir}`);
  };
  return parser
    .command('login', 'Log in to a store once and keep the session for later commands', login, runLogin)
    .command('logout', 'Remove the saved session', (command: Argv) => command.options(logoutOptions), runLogout)
    .command('auth', "Log in or out (the DC/OS CLI's names for `login` / `logout`)", (auth: Argv) =>
      auth
        .command('login', 'Same as `secrets-agent login`', login, runLogin)
        .command(
          'logout',
          'Same as `secrets-agent logout`',
          (command: Argv) => command.options(logoutOptions),
          runLogout,
        )
        .demandCommand(1, 'Name an auth command: login or logout.'),
    );
};

// Logs in with the credential the flags (or DCOS_* variables) name and saves the session.
export async function logIn(args: LoginArgs, io: CliIo): Promise<LoginOutcome> {
  const password =
    args.passwordFile === undefined ? undefined : await readPasswordFile(resolve(io.cwd, args.passwordFile));
  const method = resolveAuthMethod({
    credentialFile: args.credentialFile,
    username: args.username,
    password,
    env: io.env,
  });
  if (method === undefined) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      'login needs a credential: --username with --password-file (or DCOS_SECRETS_USERNAME / DCOS_SECRETS_PASSWORD), or --credential-file (or DCOS_SERVICE_ACCOUNT_CREDENTIAL)',
    );
  }
  const uid = uidOf(method);
  const url =
    args.url ??
    nonEmpty(io.env[urlEnvVar]) ??
    (method.kind === 'service-account' ? storeUrlFromCredential(method.credential) : undefined);
  if (url === undefined)
    throw new SecretsAgentError('ERR_USAGE', `no store to log in to: pass --url (or set ${urlEnvVar})`);
  const basePath = args.basePath === undefined || args.basePath === '/' ? undefined : parseBasePath(args.basePath);
  const caFileArg = args.caFile ?? nonEmpty(io.env[caFileEnvVar]);
  // Kept in the session and used from other directories later: make it absolute now.
  const caFile = caFileArg === undefined ? undefined : resolve(io.cwd, caFileArg);
  const stateDir = resolveStateDir(args.stateDir, io);

  const log = createCliLogger(io);
  const transport = createHttpTransport({ ...(caFile === undefined ? {} : { caFile }) });
  const iam = createIamClient({ url, transport, log });
  const tokens = createTokenProvider({
    method,
    login: (request, endpoint) => iam.login(request, endpoint),
    loginEndpoint: chooseLoginEndpoint({ url }),
    log,
  });
  try {
    const token = await tokens.getToken();
    const sessionFile = await saveSession({
      stateDir,
      url,
      token,
      ...(method.kind === 'service-account' ? { credential: method.credential } : {}),
      ...(caFile === undefined ? {} : { caFile }),
      ...(basePath === undefined ? {} : { basePath }),
    });
    return {
      url,
      uid,
      sessionFile,
      expiresAt: tokens.expiresAt?.toISOString(),
      basePath,
      renewable: method.kind === 'service-account',
    };
  } finally {
    await tokens.close();
    await iam.close();
    await transport.close();
  }
}

function resolveStateDir(flag: string | undefined, io: CliIo): string {
  return flag === undefined ? defaultStateDir({ env: io.env }) : resolve(io.cwd, flag);
}

function uidOf(method: AuthMethod): string {
  if (method.kind === 'service-account') return method.credential.uid;
  if (method.kind === 'password') return method.uid;
  throw new SecretsAgentError(
    'ERR_USAGE',
    'login takes a username and password or a service-account credential, not a token',
  );
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
