import yargs, { type Argv } from 'yargs';
import { errorCodes, toSecretsAgentError, isSecretsAgentError } from '../core/errors.js';
import type { CliIo, CommandResult } from './io.js';
import { writeLine } from './io.js';
import type { RegisterCommands } from './commands/index.js';

export interface RunCliOptions {
  /** The command groups to offer; default every group (commands/index.ts), loaded on demand. */
  readonly groups?: readonly RegisterCommands[];
}

// Runs one CLI invocation and returns its exit code; never calls process.exit (only main.ts exits).
export async function runCli(argv: readonly string[], io: CliIo, options: RunCliOptions = {}): Promise<number> {
  const commandGroups = options.groups ?? (await import('./commands/index.js')).commandGroups;
  const result: CommandResult = { exitCode: 0 };
  let usageError: string | undefined;
  let parser: Argv = yargs([...argv])
    .scriptName('secrets-agent')
    .usage('$0 <command> [options]')
    .strict()
    .demandCommand(1, 'Name a command; see --help.')
    .recommendCommands()
    .exitProcess(false)
    .wrap(Math.min(110, process.stdout.columns ?? 100))
    .env(false)
    .fail((message: string | null, error: Error | undefined) => {
      if (error !== undefined) throw error;
      // Throwing stops yargs here: a usage error must never fall through to the command's handler.
      usageError = message ?? 'invalid usage';
      throw new UsageFailure();
    })
    .help()
    .version(false);
  for (const register of commandGroups) parser = register(parser, io, result);

  try {
    let output = '';
    await parser.parseAsync([...argv], {}, (_error, _parsed, text) => {
      output = text;
    });
    if (output !== '') writeLine(usageError === undefined ? io.stdout : io.stderr, output.trimEnd());
    if (usageError !== undefined) {
      writeLine(io.stderr, `error: ${usageError}`);
      return errorCodes.ERR_USAGE.exitCode;
    }
    return result.exitCode;
  } catch (error) {
    if (usageError !== undefined) {
      writeLine(io.stderr, `error: ${usageError} (see --help)`);
      return errorCodes.ERR_USAGE.exitCode;
    }
    const failure = toSecretsAgentError(error);
    if (!isSecretsAgentError(error)) {
      writeLine(io.stderr, `error: internal error (${failure.code}): ${describeUnexpected(error)}`);
    } else {
      writeLine(io.stderr, `error: ${failure.message} (${failure.code})`);
    }
    return failure.exitCode;
  }
}

// Marks the unwinding of a usage error; the message is kept in runCli's usageError.
class UsageFailure extends Error {}

// Unexpected errors print their type and message, never their properties (which might hold a value).
function describeUnexpected(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return 'non-error thrown';
}
