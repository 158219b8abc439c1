// Finds the file a workload command names, the way execvp(3) would, so that "not found" (127)
// and "not executable" (126) are told apart before anything is spawned or exec'd.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { SecretsAgentError } from '../core/errors.js';

/** The PATH execvp falls back to when the environment has none. */
const defaultSearchPath = '/usr/local/bin:/usr/bin:/bin';

export interface ResolveCommandOptions {
  command: string;
  /** Working directory for relative paths and empty PATH entries. */
  cwd: string;
  /** PATH of the workload's environment. */
  searchPath: string | undefined;
}

// The absolute path of the executable; throws ERR_WORKLOAD_NOT_FOUND or ERR_WORKLOAD_NOT_EXECUTABLE.
export function resolveCommand(options: ResolveCommandOptions): string {
  const { command, cwd } = options;
  if (command.includes('/')) {
    const path = isAbsolute(command) ? command : resolve(cwd, command);
    const verdict = checkExecutable(path);
    if (verdict === 'ok') return path;
    throw spawnError(verdict === 'missing' ? 'ENOENT' : 'EACCES', command);
  }
  let sawNonExecutable = false;
  for (const dir of (options.searchPath ?? defaultSearchPath).split(delimiter)) {
    const path = resolve(cwd, join(dir === '' ? '.' : dir, command));
    const verdict = checkExecutable(path);
    if (verdict === 'ok') return path;
    if (verdict === 'not-executable') sawNonExecutable = true;
  }
  throw spawnError(sawNonExecutable ? 'EACCES' : 'ENOENT', command);
}

function checkExecutable(path: string): 'ok' | 'missing' | 'not-executable' {
  try {
    if (!statSync(path).isFile()) return 'not-executable';
  } catch {
    return 'missing';
  }
  try {
    accessSync(path, constants.X_OK);
    return 'ok';
  } catch {
    return 'not-executable';
  }
}

// Maps a spawn/exec errno to our codes: ENOENT is 127, anything else that prevents starting is 126.
export function spawnError(errno: string | undefined, command: string, cause?: unknown): SecretsAgentError {
  const options = { details: { command, errno }, ...(cause === undefined ? {} : { cause }) };
  if (errno === 'ENOENT') {
    return new SecretsAgentError('ERR_WORKLOAD_NOT_FOUND', `Workload command \`${command}\` was not found`, options);
  }
  const reason =
    errno === 'EACCES'
      ? 'is not executable (permission denied or not a regular file)'
      : `could not be started (${errno ?? 'unknown error'})`;
  return new SecretsAgentError('ERR_WORKLOAD_NOT_EXECUTABLE', `Workload command \`${command}\` ${reason}`, options);
}
