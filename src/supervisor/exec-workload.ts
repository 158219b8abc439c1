// True exec: the agent's process becomes the workload (same PID, no supervisor left behind), so
// signals, PID 1 duty and the exit code are the workload's own. Tried in this order:
//  1. process.execve (Node >= 22.15);
//  2. the optional @jcoreio/kexec addon. Its 4.0.0 frees the argument strings before calling
//     execvp (a std::vector scoped inside an `else`), so argv arrives corrupted (we saw it with
//     arguments over 15 bytes). We only use its one-string form, whose string lives long enough:
//     `/bin/sh -c "exec '<path>' '<arg>'..."`, every word single-quoted (sh-trampoline.ts). sh
//     then execs the workload in the same process, so the PID is still ours. The env is passed by
//     replacing process.env (Node's setenv/unsetenv write the real environ that execvp hands on),
//     after checking that this shell passes it on unchanged;
//  3. neither, or the checks fail: return false and let the caller supervise.
// When Node left a stdio pipe non-blocking, the exec goes through the same sh trampoline with
// either mechanism, and sh reopens the pipe blocking before it execs the workload.
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import type { Logger } from '../core/log.js';
import { resolveCommand, spawnError } from './resolve-command.js';
import { buildTrampolineScript, findEnvChangedByShell, shellPath } from './sh-trampoline.js';
import { findNonBlockingStdio, isPipe } from './stdio-blocking.js';
import { parseWorkloadCommand, type WorkloadCommandOptions } from './workload-command.js';

export interface ExecWorkloadOptions extends WorkloadCommandOptions {
  log?: Logger;
}

type Execve = (file: string, args: readonly string[], env: Readonly<Record<string, string>>) => never;
type Kexec = (command: string) => void;

// Replaces this process with the workload. Returns false when that is impossible here (the caller
// supervises); throws ERR_WORKLOAD_NOT_FOUND / ERR_WORKLOAD_NOT_EXECUTABLE for a bad command.
export function execWorkload(options: ExecWorkloadOptions): false {
  const { command, args, env, cwd } = parseWorkloadCommand(options);
  // No pino-backed silent logger as a default: loading pino creates process.stderr (see cli/fd-logger.ts).
  const log = options.log;
  const execve = (process as unknown as { execve?: Execve }).execve;
  const kexec = typeof execve === 'function' ? undefined : loadKexec();
  if (typeof execve !== 'function' && (kexec === undefined || !isExecutable(shellPath))) {
    log?.debug({}, 'exec is unavailable (no process.execve, no usable @jcoreio/kexec); supervising instead');
    return false;
  }
  const reopenFds = findNonBlockingStdio();
  if (reopenFds.some((fd) => !isPipe(fd)) || (reopenFds.length > 0 && !isExecutable(shellPath))) {
    log?.warn(
      { fds: reopenFds },
      'stdio is in non-blocking mode, which the workload would inherit; supervising instead of exec',
    );
    return false;
  }
  const viaShell = typeof execve !== 'function' || reopenFds.length > 0;
  const path = resolveCommand({ command, cwd, searchPath: env['PATH'] });
  if (viaShell) {
    const changed = findEnvChangedByShell(env, cwd);
    if (changed === undefined || changed.length > 0) {
      log?.warn(
        { names: changed ?? [] },
        `${shellPath} would not pass the workload environment on unchanged; supervising instead of exec`,
      );
      return false;
    }
  }

  log?.info({ command, path, argCount: args.length, reopenFds }, 'replacing the agent with the workload (exec)');
  resetIgnoredSignals();
  const previousCwd = process.cwd();
  process.chdir(cwd);
  if (typeof execve === 'function') {
    try {
      if (viaShell) execve(shellPath, [shellPath, '-c', buildTrampolineScript(path, args, env, reopenFds)], env);
      else execve(path, [command, ...args], env);
    } catch (error) {
      process.chdir(previousCwd);
      throw spawnError((error as NodeJS.ErrnoException).code ?? 'EACCES', command, error);
    }
  }
  const previousEnv = { ...process.env };
  replaceProcessEnv(env);
  try {
    (kexec as Kexec)(buildTrampolineScript(path, args, env, reopenFds));
  } catch (error) {
    replaceProcessEnv(previousEnv);
    process.chdir(previousCwd);
    // kexec's message carries only "execvp failed with code -1"; the command was checked above.
    throw spawnError('EACCES', command, error);
  }
  // Unreachable: kexec returns only by throwing.
  return false;
}

let kexecLoaded: Kexec | null | undefined;

// The optional addon, or undefined when it is not installed or does not load on this Node.
function loadKexec(): Kexec | undefined {
  if (kexecLoaded === undefined) {
    try {
      const loaded: unknown = createRequire(import.meta.url)('@jcoreio/kexec');
      kexecLoaded = typeof loaded === 'function' ? (loaded as Kexec) : null;
    } catch {
      kexecLoaded = null;
    }
  }
  return kexecLoaded ?? undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// Ignored signals survive exec. Node ignores SIGPIPE and SIGXFSZ; a workload must start with
// them at their defaults (so `yes | head` ends). libuv restores SIG_DFL when the last listener
// of a signal goes away, so adding and removing one resets the disposition.
function resetIgnoredSignals(): void {
  const noop = (): void => undefined;
  for (const signal of ['SIGPIPE', 'SIGXFSZ'] as const) {
    process.on(signal, noop);
    process.off(signal, noop);
  }
}

function replaceProcessEnv(env: Readonly<Record<string, string | undefined>>): void {
  for (const name of Object.keys(process.env)) delete process.env[name];
  for (const [name, value] of Object.entries(env)) if (value !== undefined) process.env[name] = value;
}
