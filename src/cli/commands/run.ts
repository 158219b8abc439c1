// `secrets-agent run --app app.json [options] -- CMD ARGS...` and `secrets-agent explain --app app.json`.
// The work happens in src/agent (loaded when a command runs, so other commands do not pay for it).
import type { Argv } from 'yargs';
import { parseDurationMs } from '../../core/duration.js';
import { SecretsAgentError } from '../../core/errors.js';
import { resolveLogLevel } from '../../core/log-level.js';
import type { Logger } from '../../core/log.js';
import type { AgentPlanOptions } from '../../agent/load-plan.js';
import type { OpenedSecretSource } from '../../agent/secret-source-handle.js';
import type { SecretSource } from '../../core/secrets-api.js';
import {
  connectionArgsFrom,
  connectionOptions,
  groupConnectionOptions,
  openConnection,
  readPasswordFile,
} from '../connection.js';
import { createFdLogger, type FdLoggerLevel } from '../fd-logger.js';
import type { CliIo, CommandResult } from '../io.js';
import { writeLine } from '../io.js';
import { parsePlainArgv, type PlainArgv } from '../parse-plain-argv.js';
import type { RegisterCommands } from './index.js';

const planOptions = {
  app: { type: 'string', demandOption: true, describe: 'Marathon app or pod definition (JSON file)' },
  container: { type: 'string', describe: 'Pod container to run (required for pods with more than one)' },
  optional: {
    type: 'string',
    array: true,
    describe: 'Secret name (a key of `secrets`) that may be absent; repeatable',
  },
  spaces: { type: 'boolean', default: true, describe: "Refuse secrets outside the app's space (--no-spaces to allow)" },
  'pgp-key-file': {
    type: 'string',
    describe: "Node's OpenPGP private key: values that are OpenPGP messages are decrypted with it",
  },
  'pgp-passphrase-file': { type: 'string', describe: 'File holding the passphrase of --pgp-key-file' },
  timeout: {
    type: 'string',
    default: '30s',
    describe: 'Deadline for fetching every secret, retries included (e.g. 500ms, 30s, 2m)',
  },
  user: {
    type: 'string',
    describe: 'Run the workload as NAME, UID, NAME:GROUP or UID:GID (owner of its secret files; needs root)',
  },
  'log-level': {
    type: 'string',
    choices: ['trace', 'debug', 'info', 'warn', 'error', 'silent'],
    describe: 'Agent log level on stderr (default: SECRETS_AGENT_LOG_LEVEL, else warn)',
  },
} as const;

const deliveryOptions = {
  sandbox: {
    type: 'string',
    describe:
      "The workload's working directory; file secrets appear at <sandbox>/<containerPath> (default: current directory)",
  },
  'allow-disk': {
    type: 'boolean',
    default: false,
    describe: 'Accept secret files on disk-backed storage when no tmpfs is available',
  },
  'secret-root': {
    type: 'string',
    describe:
      'Parent of the per-run secret directory (default /run/secrets-agent as root, else $XDG_RUNTIME_DIR or /dev/shm)',
  },
  'kill-timeout': { type: 'string', default: '10s', describe: 'Grace period between the stop signal and SIGKILL' },
  'dry-run': { type: 'boolean', default: false, describe: 'Print the plan and check access; start nothing' },
  json: { type: 'boolean', default: false, describe: 'With --dry-run: print the plan report as JSON' },
} as const;

/** Every option of `run` (yargs definitions; the plain parser reads the same table). */
export const runOptions = { ...planOptions, ...deliveryOptions, ...connectionOptions } as const;
const explainOptions = {
  ...planOptions,
  ...connectionOptions,
  offline: { type: 'boolean', default: false, describe: 'Only validate and print the plan; ask no store' },
  json: { type: 'boolean', default: false, describe: 'Print the report as JSON' },
} as const;

// `run`'s argv in its common shape without yargs (see parse-plain-argv.ts); undefined when yargs
// must parse it (help, usage errors, anything unusual), so flags, help and errors stay yargs's.
export function parseRunArgv(argv: readonly string[]): PlainArgv | undefined {
  if (argv[0] !== 'run') return undefined;
  return parsePlainArgv(argv, runOptions);
}

// Registers `run` and `explain`.
export const registerRunCommands: RegisterCommands = (parser: Argv, io: CliIo, result: CommandResult): Argv =>
  parser
    .command(
      'run [workload..]',
      'Fetch the secrets of an app definition and run a command with them: -- CMD ARGS...',
      (command: Argv) =>
        groupConnectionOptions(command.options(runOptions), runOptions)
          .positional('workload', { type: 'string', array: true, describe: 'The command and its arguments (after --)' })
          .example(
            '$0 run --app app.json --credential-file sa.json -- ./server --port 8080',
            'env and file secrets for ./server',
          )
          .example('$0 run --app app.json --data-dir /var/lib/store --dry-run', 'show what would be delivered'),
      async (argv) => {
        result.exitCode = await runCommand(argv as unknown as Record<string, unknown>, io);
      },
    )
    .command(
      'explain',
      'Print which env vars and files an app definition gets from which secret paths (sizes, never values); checks access when a store is given',
      (command: Argv) => groupConnectionOptions(command.options(explainOptions), explainOptions),
      async (argv) => {
        result.exitCode = await explainCommand(argv as unknown as Record<string, unknown>, io, false);
      },
    );

export async function runCommand(argv: Record<string, unknown>, io: CliIo): Promise<number> {
  if (argv['dry-run'] === true) return explainCommand(argv, io, true);
  const workload = workloadArgs(argv);
  const [command, ...args] = workload;
  if (command === undefined || command === '') {
    throw new SecretsAgentError(
      'ERR_USAGE',
      'Expected the workload command after `--` (secrets-agent run --app app.json -- CMD ARGS...), or --dry-run',
    );
  }
  const log = createRunLogger(argv, io);
  const { runAgent } = await import('../../agent/run-agent.js');
  return runAgent({
    ...(await commonAgentOptions(argv, log)),
    killTimeoutMs: parseDurationFlag(argv['kill-timeout'], 'kill-timeout', 0),
    sandbox: textFlag(argv, 'sandbox') ?? io.cwd,
    allowDisk: argv['allow-disk'] === true,
    ...optional('user', textFlag(argv, 'user')),
    ...optional('secretRoot', textFlag(argv, 'secret-root')),
    command,
    args,
    baseEnv: io.env,
    maxConcurrentFetches: fetchesInFlight,
    openSource: () => openSource(argv, io, log, undefined),
    ...optional('onStartupDone', io.warm === undefined ? undefined : () => callWarm(io.warm)),
  });
}

async function explainCommand(argv: Record<string, unknown>, io: CliIo, dryRun: boolean): Promise<number> {
  const log = createRunLogger(argv, io);
  const { explainAgent } = await import('../../agent/explain-agent.js');
  const { formatPlanReport } = await import('../../agent/plan-report.js');
  const { report, failure } = await explainAgent({
    ...(await commonAgentOptions(argv, log)),
    withUser: textFlag(argv, 'user') !== undefined,
    openSource: argv['offline'] === true ? undefined : () => openSource(argv, io, log, io.warm),
  });
  writeLine(io.stdout, argv['json'] === true ? JSON.stringify(report) : formatPlanReport(report));
  if (failure !== undefined) throw failure;
  if (dryRun) log.debug({ appFile: argv['app'] }, 'dry run: nothing started');
  return 0;
}

async function commonAgentOptions(
  argv: Record<string, unknown>,
  log: Logger,
): Promise<AgentPlanOptions & { timeoutMs: number; log: Logger }> {
  const passphraseFile = textFlag(argv, 'pgp-passphrase-file');
  const optionalNames = (argv['optional'] as unknown[] | undefined)
    ?.map(String)
    .flatMap((name) => name.split(','))
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return {
    appFile: String(argv['app']),
    ...optional('containerName', textFlag(argv, 'container')),
    ...optional('optional', optionalNames),
    enforceSpaces: argv['spaces'] !== false,
    ...optional('pgpKeyFile', textFlag(argv, 'pgp-key-file')),
    ...optional('pgpPassphrase', passphraseFile === undefined ? undefined : await readPasswordFile(passphraseFile)),
    timeoutMs: parseDurationFlag(argv['timeout'], 'timeout', 1),
    log,
  };
}

// An app's secrets are read all at once, and `run` makes no long poll, so its reads are pipelined
// (HTTP/1.1): a few connections carry them, as each new connection costs a handshake and start-up CPU.
const storeConnections = 4;
const pipelinedReads = 8;
const fetchesInFlight = storeConnections * pipelinedReads;

// `warm` (explain, dry run): called after the reads; `run` calls it once its start-up work is done.
async function openSource(
  argv: Record<string, unknown>,
  io: CliIo,
  log: Logger,
  warm: (() => void) | undefined,
): Promise<OpenedSecretSource> {
  // No single request may outlive the run's own deadline.
  const timeoutMs = parseDurationFlag(argv['timeout'], 'timeout', 1);
  const connection = await openConnection(connectionArgsFrom(argv), io, {
    log,
    connections: storeConnections,
    pipelining: pipelinedReads,
    timeoutMs,
    coldStart: true,
    cacheToken: true,
  });
  if (connection.kind === 'local')
    return { source: afterReads(connection.api, warm, undefined), close: () => connection.close() };
  return {
    source: afterReads(connection.api, warm, connection.saveToken),
    close: () => connection.close(),
    closedByExec: true,
    abort: async () => {
      await connection.transport.destroy();
      await connection.close();
    },
  };
}

// Once the reads are done: the token a login got is cached for the next run, and (explain) the
// run bundle's loader is told it may save its code cache.
function afterReads(
  source: SecretSource,
  warm: (() => void) | undefined,
  saveToken: (() => Promise<void>) | undefined,
): SecretSource {
  if (warm === undefined && saveToken === undefined) return source;
  let saved = false;
  const settled = async <T>(work: Promise<T>): Promise<T> => {
    const result = await work;
    if (!saved) {
      saved = true;
      await saveToken?.();
      callWarm(warm);
    }
    return result;
  };
  const { readSecrets } = source;
  return {
    getSecret: (path) => settled(source.getSecret(path)),
    ...(readSecrets === undefined ? {} : { readSecrets: (paths) => settled(readSecrets.call(source, paths)) }),
  };
}

function callWarm(warm: (() => void) | undefined): void {
  try {
    warm?.();
  } catch {
    // A cache is an optimisation, never a reason to fail.
  }
}

// The agent logs JSON lines on stderr. With the process's own stderr it writes to fd 2 directly:
// creating process.stderr on a pipe would make the fd non-blocking, and an exec'd workload would
// inherit that. A bad SECRETS_AGENT_LOG_LEVEL is ERR_CONFIG_INVALID, as for every other command.
function createRunLogger(argv: Record<string, unknown>, io: CliIo): Logger {
  const level: FdLoggerLevel = resolveLogLevel({ flag: textFlag(argv, 'log-level'), env: io.env, fallback: 'warn' });
  return createFdLogger({
    level,
    name: 'secrets-agent',
    ...(io.stderrFd === 2 ? { fd: 2 } : { write: (line: string) => io.stderr.write(line) }),
  });
}

// `500ms`, `30s`, `2m`, `1h`; a bare number is seconds.
export function parseDurationFlag(value: unknown, flag: string, minimumMs: number): number {
  const ms = typeof value === 'string' ? parseDurationMs(value) : undefined;
  if (ms === undefined || ms < minimumMs) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`--${flag}\` to be a duration such as 500ms, 30s or 2m${minimumMs > 0 ? ' (more than 0)' : ''}, got \`${String(value).slice(0, 40)}\``,
      {
        details: { option: flag },
      },
    );
  }
  return ms;
}

// The command after `--` (yargs leaves it in `_` after the command name, unparsed), or given positionally.
function workloadArgs(argv: Record<string, unknown>): string[] {
  const positional = ((argv['_'] as unknown[] | undefined) ?? []).map(String);
  if (positional[0] === 'run') positional.shift();
  return [...((argv['workload'] as unknown[] | undefined) ?? []).map(String), ...positional];
}

function textFlag(argv: Record<string, unknown>, name: string): string | undefined {
  const value = argv[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
