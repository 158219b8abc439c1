import { isatty } from 'node:tty';
import type { Argv } from 'yargs';
import { errorCodes } from '../core/errors.js';
import type { CliIo, CommandResult } from './io.js';
import { writeLine } from './io.js';
import { reportFailure } from './report-failure.js';
import type { RegisterCommands } from './commands/index.js';

export interface RunCliOptions {
  /** The command groups to offer: every group (commands/index.ts), or only `run`'s for `run` and
   * `explain` (main.ts), so that those do not load every command's modules. */
  readonly groups: readonly RegisterCommands[];
}

// Runs one CLI invocation and returns its exit code; never calls process.exit (only main.ts exits).
export async function runCli(argv: readonly string[], io: CliIo, options: RunCliOptions): Promise<number> {
  // `run` in its common shape skips yargs (loading and running it is a large part of the time a
  // workload waits); anything else about it, help and usage errors included, is yargs's.
  if (argv[0] === 'run') {
    const { parseRunArgv, runCommand } = await import('./commands/run.js');
    const parsed = parseRunArgv(argv);
    if (parsed !== undefined) {
      try {
        return await runCommand(parsed, io);
      } catch (error) {
        return reportFailure(error, io);
      }
    }
  }
  const commandGroups = options.groups;
  const [{ default: yargs }, { readPackageVersion }] = await Promise.all([
    import('yargs'),
    import('../daemon/package-version.js'),
  ]);
  const result: CommandResult = { exitCode: 0 };
  let usageError: string | undefined;
  let parser: Argv = yargs([...argv])
    .scriptName('secrets-agent')
    .usage('$0 <command> [options]')
    .strict()
    .demandCommand(1, 'Name a command; see --help.')
    .recommendCommands()
    .exitProcess(false)
    // process.stdout is looked at only on a terminal: creating it on a pipe makes the pipe
    // non-blocking, and `run` would then have to supervise rather than exec its workload.
    .wrap(Math.min(110, (isatty(1) ? process.stdout.columns : undefined) ?? 100))
    .env(false)
    .fail((message: string | null, error: Error | undefined) => {
      if (error !== undefined) throw error;
      // Throwing stops yargs here: a usage error must never fall through to the command's handler.
      usageError = message ?? 'invalid usage';
      throw new UsageFailure();
    })
    .help()
    .version(readPackageVersion())
    .completion('completion', 'Print a bash/zsh completion script: secrets-agent completion >> ~/.bashrc');
  for (const register of commandGroups) parser = register(parser, io, result);

  try {
    let output = '';
    await parser.parseAsync([...argv], {}, (_error, _parsed, text) => {
      output = text;
    });
    // Help text; a usage error never gets here (fail() throws).
    if (output !== '') writeLine(io.stdout, output.trimEnd());
    return result.exitCode;
  } catch (error) {
    if (usageError !== undefined) {
      writeLine(io.stderr, `error: ${describeUsageError(usageError, argv[0])}`);
      return errorCodes.ERR_USAGE.exitCode;
    }
    return reportFailure(error, io);
  }
}

// An unknown first word is an unknown command, said as such: yargs calls it an unknown argument or,
// when a command name is close, only suggests that one.
function describeUsageError(message: string, first: string | undefined): string {
  if (first === undefined || first.startsWith('-')) return message;
  const suggested = message.startsWith('Did you mean');
  if (!suggested && message !== `Unknown argument: ${first}` && !message.startsWith(`Unknown arguments: ${first},`))
    return message;
  const shown = JSON.stringify(first).slice(1, -1).slice(0, 40);
  return `unknown command \`${shown}\`${suggested ? `. ${message}` : ''} (see --help)`;
}

// Marks the unwinding of a usage error; the message is kept in runCli's usageError.
class UsageFailure extends Error {}
