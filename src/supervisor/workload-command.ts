// What to run: checked once here for both ways of running it (supervised child or exec).
import { statSync } from 'node:fs';
import { describeValue } from '../config/describe-value.js';
import { SecretsAgentError } from '../core/errors.js';

export interface WorkloadCommandOptions {
  command: string;
  args?: readonly string[];
  /** The complete environment of the workload (nothing is inherited on top of it). */
  env: Readonly<Record<string, string>>;
  /** Working directory (the task sandbox). Default: the agent's cwd. */
  cwd?: string;
}

export interface WorkloadCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
}

// Validates command, args, env and cwd; messages name the option, never an env value.
export function parseWorkloadCommand(options: WorkloadCommandOptions): WorkloadCommand {
  const { command } = options;
  if (typeof command !== 'string' || command === '' || command.includes('\0')) {
    throw usage(`Expected \`command\` to be a non-empty string without NUL, got ${describeValue(command)}`);
  }
  const args = options.args ?? [];
  if (!Array.isArray(args)) throw usage(`Expected \`args\` to be an array of strings, got ${describeValue(args)}`);
  for (const [index, arg] of args.entries()) {
    if (typeof arg !== 'string' || arg.includes('\0')) {
      throw usage(
        `Expected \`args[${index}]\` to be a string without NUL, got ${typeof arg === 'string' ? 'a string with NUL' : describeValue(arg)}`,
      );
    }
  }
  const env = options.env as unknown;
  if (typeof env !== 'object' || env === null)
    throw usage(`Expected \`env\` to be an object, got ${describeValue(env)}`);
  for (const [name, value] of Object.entries(env)) {
    if (typeof value !== 'string' || value.includes('\0') || name === '' || name.includes('=') || name.includes('\0')) {
      throw new SecretsAgentError(
        'ERR_INPUT_INVALID',
        `Environment variable \`${name.replaceAll('\0', '\\0')}\` has a bad name or a value that is not a string without NUL`,
        {
          details: { name },
        },
      );
    }
  }
  const cwd = options.cwd ?? process.cwd();
  if (typeof cwd !== 'string' || !isDirectory(cwd)) {
    throw usage(`Expected \`cwd\` to be an existing directory, got ${describeValue(cwd)}`);
  }
  return { command, args: [...args], env: env as Readonly<Record<string, string>>, cwd };
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function usage(message: string): SecretsAgentError {
  return new SecretsAgentError('ERR_USAGE', message);
}
