// Runs the workload as a supervised child (execa: no shell, killed if the agent exits) and
// stops it gracefully: the stop signal first, SIGKILL once `killTimeoutMs` has passed.
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { describeValue } from '../config/describe-value.js';
import { SecretsAgentError } from '../core/errors.js';
import { createSilentLogger, type Logger } from '../core/log.js';
import type { WorkloadExit } from './exit-code.js';
import { warnIfPid1 } from './pid1.js';
import { buildParentDeathArgs, hasSetpriv, setprivPath } from './parent-death.js';
import { resolveCommand, spawnError } from './resolve-command.js';
import { parseWorkloadCommand, type WorkloadCommandOptions } from './workload-command.js';

/** Grace period between the stop signal and SIGKILL when none is given (Mesos' default is 3 s, Docker's 10 s). */
export const defaultKillTimeoutMs = 10_000;

export interface StartWorkloadOptions extends WorkloadCommandOptions {
  /** Run as this user/group (needs root). libuv drops supplementary groups when either is set. */
  uid?: number;
  gid?: number;
  /** 'inherit' (default) shares the agent's stdio; 'pipe' gives `stdout`/`stderr` streams (stdin is /dev/null). */
  stdio?: 'inherit' | 'pipe';
  killTimeoutMs?: number;
  /**
   * Signal the kernel sends the workload when the agent dies, even by SIGKILL (through util-linux
   * `setpriv --pdeathsig`; see parent-death.ts). Default: none. Without setpriv: a warning, no signal.
   */
  parentDeathSignal?: NodeJS.Signals;
  log?: Logger;
}

export type WorkloadState = 'running' | 'stopping' | 'exited';

export interface WorkloadHandle {
  readonly pid: number;
  readonly state: WorkloadState;
  /** Settles when the process has exited; never rejects. */
  readonly exited: Promise<WorkloadExit>;
  /** With stdio 'pipe': the workload's output; the caller must read it, or the workload blocks on a full pipe. */
  readonly stdout: Readable | undefined;
  readonly stderr: Readable | undefined;
  /** Sends `name` to the workload; false when it has exited already. */
  signal(name: NodeJS.Signals): boolean;
  /** Sends `signalName` (default SIGTERM), then SIGKILL after `killTimeoutMs`; later calls return the same wait. */
  stop(signalName?: NodeJS.Signals): Promise<WorkloadExit>;
  /** SIGKILL now. */
  kill(): boolean;
}

// Spawns the workload; resolves once it runs, or throws ERR_WORKLOAD_NOT_FOUND (127) / ERR_WORKLOAD_NOT_EXECUTABLE (126).
export async function startWorkload(options: StartWorkloadOptions): Promise<WorkloadHandle> {
  const { command, args, env, cwd } = parseWorkloadCommand(options);
  const log = options.log ?? createSilentLogger();
  const killTimeoutMs = options.killTimeoutMs ?? defaultKillTimeoutMs;
  if (!Number.isSafeInteger(killTimeoutMs) || killTimeoutMs < 0) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`killTimeoutMs\` to be a non-negative integer, got ${describeValue(killTimeoutMs)}`,
    );
  }
  const stdio = options.stdio ?? 'inherit';
  if (stdio !== 'inherit' && stdio !== 'pipe') {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`stdio\` to be 'inherit' or 'pipe', got ${describeValue(stdio)}`,
    );
  }
  for (const option of ['uid', 'gid'] as const) {
    const id = options[option];
    if (id !== undefined && (!Number.isSafeInteger(id) || id < 0)) {
      throw new SecretsAgentError(
        'ERR_USAGE',
        `Expected \`${option}\` to be a non-negative integer, got ${describeValue(id)}`,
      );
    }
  }
  warnIfPid1(log);

  // Through setpriv the command is resolved here, so "not found" stays 127 and not setpriv's failure.
  let file = command;
  let fileArgs: readonly string[] = args;
  if (options.parentDeathSignal !== undefined) {
    if (hasSetpriv()) {
      file = setprivPath;
      fileArgs = buildParentDeathArgs(
        options.parentDeathSignal,
        resolveCommand({ command, cwd, searchPath: env['PATH'] }),
        args,
      );
    } else {
      log.warn({ setprivPath }, 'setpriv is missing: the workload would outlive an agent killed by SIGKILL');
    }
  }
  const subprocess = execa(file, fileArgs, {
    env,
    extendEnv: false,
    cwd,
    shell: false,
    reject: false,
    cleanup: true,
    buffer: false,
    // Our own escalation below applies to every stop signal, not only to `killSignal`.
    forceKillAfterDelay: false,
    stdio: stdio === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
  });

  // Node reports a failed spawn by leaving `pid` unset; the result then carries the errno.
  const { pid } = subprocess;
  if (pid === undefined) {
    const result = await subprocess;
    throw spawnError(result.code, command, result.cause);
  }
  // 'exit' fires as soon as the process ends, even if a grandchild still holds its pipes open.
  let state: WorkloadState = 'running';
  let killTimer: NodeJS.Timeout | undefined;
  const exited = new Promise<WorkloadExit>((resolve) => {
    subprocess.once('exit', (code, signal) => {
      state = 'exited';
      clearTimeout(killTimer);
      const exit: WorkloadExit = { exitCode: code ?? undefined, signal: signal ?? undefined };
      log.info({ pid, exitCode: exit.exitCode, signal: exit.signal }, 'workload exited');
      resolve(exit);
    });
  });
  // reject:false makes the result promise resolve; this only keeps an unexpected rejection from going unhandled.
  subprocess.catch((error: unknown) => log.debug({ pid, err: error }, 'workload result promise rejected'));
  log.info({ pid, command, argCount: args.length }, 'workload started');

  let stopping: Promise<WorkloadExit> | undefined;
  const send = (name: NodeJS.Signals): boolean => state !== 'exited' && subprocess.kill(name);
  return {
    pid,
    get state() {
      return state;
    },
    exited,
    stdout: subprocess.stdout ?? undefined,
    stderr: subprocess.stderr ?? undefined,
    signal: send,
    stop(signalName = 'SIGTERM') {
      if (stopping !== undefined) return stopping;
      if (state === 'exited') return exited;
      state = 'stopping';
      log.info({ pid, signal: signalName, killTimeoutMs }, 'stopping workload');
      send(signalName);
      killTimer = setTimeout(() => {
        log.warn({ pid, signal: signalName, killTimeoutMs }, 'workload did not exit in time; sending SIGKILL');
        send('SIGKILL');
      }, killTimeoutMs);
      stopping = exited;
      return stopping;
    },
    kill() {
      return send('SIGKILL');
    },
  };
}
