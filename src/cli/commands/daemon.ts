// `secrets-agent daemon --apps-dir DIR [options]`: the per-node service (src/daemon). This file
// turns flags into settings and owns the process-level wiring: SIGHUP reloads, SIGTERM/SIGINT
// stop every task and end with exit 0, SIGUSR1 is ignored (so it cannot open the inspector).
import type { Argv } from 'yargs';
import { createLogger } from '../../core/log.js';
import { logLevelEnvVar, logLevels, resolveLogLevel } from '../../core/log-level.js';
import { daemonOptionSpecs, loadDaemonSettings, type DaemonFlags } from '../../daemon/daemon-config.js';
import { connectionArgsFrom, connectionOptions, groupConnectionOptions } from '../connection.js';
import type { CliIo, CommandResult } from '../io.js';
import type { RegisterCommands } from './index.js';

const configEnvVar = 'SECRETS_AGENT_CONFIG';
const emptyToUndefined = (value: string | undefined): string | undefined => (value === '' ? undefined : value);
const kebab = (name: string): string => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

// One yargs option per setting, without yargs defaults: a default here would hide the --config file.
const settingOptions = Object.fromEntries(
  Object.entries(daemonOptionSpecs).map(([name, spec]) => [
    kebab(name),
    {
      type: spec.type === 'integer' ? 'number' : spec.type === 'boolean' ? 'boolean' : 'string',
      describe: `${spec.description}${'default' in spec ? ` (default ${String(spec.default)})` : ''} [env: ${spec.env}]`,
    } as const,
  ]),
) as Record<string, { type: 'string' | 'number' | 'boolean'; describe: string }>;

const daemonOptions = {
  ...settingOptions,
  config: {
    type: 'string',
    describe: `JSON file of settings (keys as in docs/daemon.md, e.g. "pollInterval"); SIGHUP re-reads it [env: ${configEnvVar}]`,
  },
  'log-level': {
    type: 'string',
    choices: logLevels,
    describe: `Log level (default info) [env: ${logLevelEnvVar}]`,
  },
  ...connectionOptions,
} as const;

// Registers `daemon`.
export const registerDaemonCommands: RegisterCommands = (parser: Argv, io: CliIo, result: CommandResult): Argv =>
  parser.command(
    'daemon',
    'Run the tasks defined in --apps-dir and keep their secrets current (a systemd Type=notify service)',
    (command: Argv) =>
      groupConnectionOptions(command.options(daemonOptions), daemonOptions).example(
        '$0 daemon --apps-dir /etc/secrets-agent/apps --credential-file /etc/secrets-agent/sa.json --url https://master.mesos',
        '',
      ),
    async (argv) => {
      result.exitCode = await daemonCommand(argv as unknown as Record<string, unknown>, io);
    },
  );

async function daemonCommand(argv: Record<string, unknown>, io: CliIo): Promise<number> {
  const flags: DaemonFlags = {};
  for (const name of Object.keys(daemonOptionSpecs) as (keyof typeof daemonOptionSpecs)[]) {
    const value = argv[kebab(name)];
    if (value !== undefined) flags[name] = value as string | number | boolean;
  }
  const configFile = typeof argv['config'] === 'string' ? argv['config'] : emptyToUndefined(io.env[configEnvVar]);
  const level = resolveLogLevel({ flag: argv['log-level'], env: io.env, fallback: 'info' });
  const log = createLogger({ level, name: 'secrets-agent-daemon' });
  const load = () => loadDaemonSettings({ file: configFile, env: io.env, flags });
  const settings = load();
  const { startDaemon } = await import('../../daemon/run-daemon.js');

  // Installed before the (possibly long) start: a SIGTERM during start-up stops what has started.
  let stopRequested = false;
  let stopNow: (() => void) | undefined;
  const stopped = new Promise<void>((resolve) => {
    stopNow = resolve;
  });
  const onStop = (signal: NodeJS.Signals): void => {
    log.info({ signal }, 'stop signal received');
    stopRequested = true;
    stopNow?.();
  };
  let reload: (() => void) | undefined;
  const onHangup = (): void => {
    log.info({ signal: 'SIGHUP' }, 'reload signal received');
    reload?.();
  };
  const ignore = (): void => undefined;
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', onHangup);
  process.on('SIGUSR1', ignore);
  try {
    const daemon = await startDaemon({ settings, connection: connectionArgsFrom(argv), io, log, reloadSettings: load });
    reload = () => daemon.reload();
    if (!stopRequested) await stopped;
    await daemon.stop();
    return 0;
  } finally {
    process.off('SIGTERM', onStop);
    process.off('SIGINT', onStop);
    process.off('SIGHUP', onHangup);
    process.off('SIGUSR1', ignore);
  }
}
