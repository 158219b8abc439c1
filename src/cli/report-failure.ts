import { isSecretsAgentError, toSecretsAgentError } from '../core/errors.js';
import type { CliIo } from './io.js';
import { writeLine } from './io.js';

// Prints a command's failure as one line on stderr and returns its exit code.
export function reportFailure(error: unknown, io: CliIo): number {
  const failure = toSecretsAgentError(error);
  if (!isSecretsAgentError(error)) {
    writeLine(io.stderr, `error: internal error (${failure.code}): ${describeUnexpected(error)}`);
  } else {
    writeLine(io.stderr, `error: ${failure.message} (${failure.code})`);
  }
  return failure.exitCode;
}

// Unexpected errors print their type and message, never their properties (which might hold a value).
function describeUnexpected(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return 'non-error thrown';
}
