// True exec: the agent's process becomes the workload (same PID, no supervisor left behind), so
// signals, PID 1 duty and the exit code are the workload's own. Tried in this order:
//  1. the vendored native addon (native-addon.ts): execve(2) with the workload's argv and env as
//     given, after making fds 0-2 blocking again (libuv sets O_NONBLOCK on pipes Node touched,
//     and a C program inheriting that fails its writes with EAGAIN). No shell, no probe;
//  2. process.execve (Node >= 22.15). Node cannot clear O_NONBLOCK, so when a stdio pipe has it
//     the exec goes through `/bin/sh -c "exec ..."`, which reopens the pipe through
//     /proc/self/fd (a new, blocking open file description) before it execs the workload; that
//     path first checks that this shell passes the environment on unchanged (sh-trampoline.ts);
//  3. neither, or the checks fail: return false and let the caller supervise.
import { accessSync, constants } from 'node:fs';
import type { Logger } from '../core/log.js';
import { loadNativeAddon } from './native-addon.js';
import { resolveCommand, spawnError } from './resolve-command.js';
import { buildTrampolineScript, findEnvChangedByShell, shellPath } from './sh-trampoline.js';
import { findNonBlockingStdio, isPipe } from './stdio-blocking.js';
import { parseWorkloadCommand, type WorkloadCommandOptions } from './workload-command.js';

export interface ExecWorkloadOptions extends WorkloadCommandOptions {
  log?: Logger;
}

type Execve = (file: string, args: readonly string[], env: Readonly<Record<string, string>>) => never;

// Replaces this process with the workload. Returns false when that is impossible here (the caller
// supervises); throws ERR_WORKLOAD_NOT_FOUND / ERR_WORKLOAD_NOT_EXECUTABLE for a bad command.
export function execWorkload(options: ExecWorkloadOptions): false {
  const { command, args, env, cwd } = parseWorkloadCommand(options);
  // No pino-backed silent logger as a default: loading pino creates process.stderr (see cli/fd-logger.ts).
  const log = options.log;
  const addon = loadNativeAddon();
  const execve = (process as unknown as { execve?: Execve }).execve;
  if (addon === undefined && typeof execve !== 'function') {
    log?.debug({}, 'exec is unavailable (no native addon, no process.execve); supervising instead');
    return false;
  }
  const path = resolveCommand({ command, cwd, searchPath: env['PATH'] });

  if (addon !== undefined) {
    log?.info({ command, path, argCount: args.length, via: 'native' }, 'replacing the agent with the workload (exec)');
    const envp = Object.entries(env).map(([name, value]) => `${name}=${value}`);
    withCwd(cwd, command, () => addon.execve(path, [command, ...args], envp));
  }

  const reopenFds = findNonBlockingStdio();
  if (reopenFds.some((fd) => !isPipe(fd)) || (reopenFds.length > 0 && !isExecutable(shellPath))) {
    log?.warn(
      { fds: reopenFds },
      'stdio is in non-blocking mode, which the workload would inherit; supervising instead of exec',
    );
    return false;
  }
  const viaShell = reopenFds.length > 0;
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
  log?.info(
    { command, path, argCount: args.length, via: viaShell ? 'sh' : 'process.execve', reopenFds },
    'replacing the agent with the workload (exec)',
  );
  resetIgnoredSignals();
  withCwd(cwd, command, () => {
    if (viaShell)
      (execve as Execve)(shellPath, [shellPath, '-c', buildTrampolineScript(path, args, env, reopenFds)], env);
    else (execve as Execve)(path, [command, ...args], env);
  });
  // Unreachable: both execs return only by throwing.
  return false;
}

// Runs `exec` (which returns only by throwing) in `cwd`; on failure goes back and maps the errno.
function withCwd(cwd: string, command: string, exec: () => void): void {
  const previousCwd = process.cwd();
  process.chdir(cwd);
  try {
    exec();
  } catch (error) {
    process.chdir(previousCwd);
    throw spawnError((error as NodeJS.ErrnoException).code ?? 'EACCES', command, error);
  }
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
// of a signal goes away, so adding and removing one resets the disposition. (The native addon
// resets them itself, just before its execve.)
function resetIgnoredSignals(): void {
  const noop = (): void => undefined;
  for (const signal of ['SIGPIPE', 'SIGXFSZ'] as const) {
    process.on(signal, noop);
    process.off(signal, noop);
  }
}
