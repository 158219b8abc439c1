// `secrets-agent status`: what the node's daemon is doing, read from its status socket: tasks
// (state, pid, restarts, last rotation, stale), the store feed and the token's expiry.
import type { Argv } from 'yargs';
import { SecretsAgentError } from '../../core/errors.js';
import { fetchDaemonMetrics, fetchDaemonStatus } from '../../daemon/status-client.js';
import { defaultStatusSocket, type DaemonStatus } from '../../daemon/status-types.js';
import { formatStatusReport } from '../../daemon/status-report.js';
import type { CliIo, CommandResult } from '../io.js';
import { writeLine } from '../io.js';
import type { RegisterCommands } from './index.js';

export const statusSocketEnvVar = 'SECRETS_AGENT_STATUS_SOCKET';

// The socket `status` reads: the flag, else $SECRETS_AGENT_STATUS_SOCKET (as the daemon reads it),
// else the default for this user.
export function resolveStatusSocket(flag: string | undefined, env: CliIo['env']): string {
  if (flag !== undefined) return flag;
  const fromEnv = env[statusSocketEnvVar];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : defaultStatusSocket({ env });
}

// Registers `secrets-agent status`.
export const registerStatusCommands: RegisterCommands = (parser: Argv, io: CliIo, _result: CommandResult): Argv =>
  parser.command(
    'status',
    'Show the tasks of the running daemon, their states, restarts, rotations, and the token expiry',
    (command: Argv) =>
      command.options({
        'status-socket': {
          type: 'string',
          describe: `The daemon status socket (default: $${statusSocketEnvVar}, else ${defaultStatusSocket({ env: io.env })})`,
        },
        json: {
          type: 'boolean',
          describe: 'Print the daemon status as JSON (names, paths, times, sha256 hashes; never values)',
        },
        metrics: { type: 'boolean', describe: "Print the daemon's Prometheus metrics instead" },
        'timeout-ms': { type: 'number', default: 5000, describe: 'How long to wait for the daemon to answer' },
      }),
    async (argv) => {
      // Checked here rather than with yargs .conflicts(), for a message that names both flags.
      if (argv.json === true && argv.metrics === true)
        throw new SecretsAgentError('ERR_USAGE', '--json and --metrics are mutually exclusive');
      const timeoutMs = argv['timeout-ms'];
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
        throw new SecretsAgentError(
          'ERR_USAGE',
          `Expected \`--timeout-ms\` to be a positive integer, got \`${String(timeoutMs)}\` (${typeof timeoutMs})`,
        );
      }
      const options = { socketPath: resolveStatusSocket(argv['status-socket'], io.env), timeoutMs };
      if (argv.metrics === true) {
        io.stdout.write(await fetchDaemonMetrics(options));
        return;
      }
      const status: DaemonStatus = await fetchDaemonStatus(options);
      if (argv.json === true) writeLine(io.stdout, JSON.stringify(status, null, 2));
      else io.stdout.write(formatStatusReport(status, new Date()));
    },
  );
