// `secrets-agent run`: validate the definition, fetch its secrets, deliver them, then become the
// workload (exec, when only env vars were delivered) or supervise it (files to remove afterwards,
// or --user). Reads like a recipe; each step lives in its own file.
import { constants } from 'node:os';
import { SecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
// Direct file imports: the supervisor index would load execa (~100 ms), which exec mode never needs.
import { execWorkload } from '../supervisor/exec-workload.js';
import { exitCodeOf } from '../supervisor/exit-code.js';
import { makeNonDumpable } from '../supervisor/native-addon.js';
import { loadAgentPlan, type AgentPlanOptions } from './load-plan.js';
import { parseWorkloadUser } from './parse-user.js';
import { prepareWorkload, type PreparedWorkload } from './prepare-workload.js';
import { resolveSecrets, type ResolveRetryOptions } from './resolve-secrets.js';
import type { OpenSecretSource } from './secret-source-handle.js';

export interface RunAgentOptions extends AgentPlanOptions {
  /** Total deadline for fetching every secret. */
  readonly timeoutMs: number;
  readonly killTimeoutMs: number;
  readonly retry?: ResolveRetryOptions;
  /** Fetches in flight at once (resolveSecrets' default when absent). */
  readonly maxConcurrentFetches?: number;
  /** The workload's working directory (its sandbox). */
  readonly sandbox: string;
  /** `--user` as given: NAME, UID, NAME:GROUP or UID:GID. */
  readonly user?: string;
  readonly allowDisk: boolean;
  readonly secretRoot?: string;
  readonly command: string;
  readonly args: readonly string[];
  /** The environment the workload starts from (the agent's). */
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
  readonly openSource: OpenSecretSource;
  /** Allow true exec (default true); false always supervises. */
  readonly exec?: boolean;
  readonly log: Logger;
  /** Called when the agent's own start-up work is done: just before exec, and once a supervised
   * workload has started (so what spawning it compiled counts too); twice when exec falls back to
   * supervising. `run` saves its code caches then. Must not throw. */
  readonly onStartupDone?: () => void;
}

const stopSignals = ['SIGTERM', 'SIGINT'] as const;

// Returns the workload's exit code (128+N when signal N ended it); throws the agent's own failures.
export async function runAgent(options: RunAgentOptions): Promise<number> {
  const { log } = options;
  // Before any workload exists: a supervised workload of the same user must not read our
  // credential through /proc/<pid>/environ or mem (issue 12.4). An exec'd workload starts dumpable
  // again, with only the environment it was given.
  const nonDumpable = makeNonDumpable();
  const { plan, key } = await loadAgentPlan(options);
  const user = options.user === undefined ? undefined : await parseWorkloadUser(options.user);

  // Until the workload runs, SIGTERM/SIGINT stop the agent cleanly: no fetch left running, no file left behind.
  const stop = watchStopSignals(log);
  let prepared: PreparedWorkload | undefined;
  let releaseSource: (() => Promise<void>) | undefined;
  try {
    const opened = await options.openSource();
    let closing: Promise<void> | undefined;
    releaseSource = () => (closing ??= opened.close());
    let resolved;
    let settled = false;
    try {
      resolved = await resolveSecrets({
        plan,
        source: opened.source,
        timeoutMs: options.timeoutMs,
        signal: stop.signal,
        log,
        ...(key === undefined ? {} : { pgpPrivateKey: key }),
        ...(options.retry === undefined ? {} : { retry: options.retry }),
        ...(options.maxConcurrentFetches === undefined ? {} : { maxConcurrent: options.maxConcurrentFetches }),
      });
      settled = true;
    } finally {
      // After a failure, a stop signal or the deadline, requests still in flight are not waited for.
      if (!settled) await (closing ??= opened.abort === undefined ? opened.close() : opened.abort());
    }
    // A source that exec closes by itself stays open until we know whether we exec: closing a
    // socket in Node creates process.stderr (net.Socket#_destroy compares against it), which on
    // a pipe would hand the workload a non-blocking stderr.
    if (opened.closedByExec !== true) await releaseSource();
    stop.throwIfStopped();
    prepared = await prepareWorkload({
      plan,
      resolved,
      sandbox: options.sandbox,
      allowDisk: options.allowDisk,
      baseEnv: options.baseEnv,
      log,
      sweepStale: true,
      ...(user === undefined ? {} : { user }),
      ...(options.secretRoot === undefined ? {} : { secretRoot: options.secretRoot }),
    });
    stop.throwIfStopped();
  } catch (error) {
    await prepared?.cleanup();
    await releaseSource?.().catch((closeError: unknown) =>
      log.debug({ err: closeError }, 'could not close the store connection after a failure'),
    );
    stop.close();
    if (stop.received !== undefined) return signalExitCode(stop.received);
    throw error;
  }

  const workload = { command: options.command, args: options.args, env: prepared.env, cwd: options.sandbox, log };
  if (prepared.secretDir === undefined && user === undefined && options.exec !== false) {
    stop.close();
    options.onStartupDone?.();
    try {
      // Returns only when exec is impossible here; then we supervise below.
      execWorkload(workload);
    } catch (error) {
      await releaseSource();
      throw error;
    }
  }
  await releaseSource();
  if (!nonDumpable && user === undefined)
    log.warn(
      {},
      "the native addon is unavailable: the workload, running as our user, can read this agent's environment and memory (see docs/security.md)",
    );
  return superviseWorkload(options, prepared, workload, user, stop);
}

async function superviseWorkload(
  options: RunAgentOptions,
  prepared: PreparedWorkload,
  workload: {
    command: string;
    args: readonly string[];
    env: Readonly<Record<string, string>>;
    cwd: string;
    log: Logger;
  },
  user: { uid: number; gid: number } | undefined,
  stop: StopWatch,
): Promise<number> {
  const { log } = options;
  try {
    const [{ startWorkload }, { forwardSignals }] = await Promise.all([
      import('../supervisor/start-workload.js'),
      import('../supervisor/forward-signals.js'),
    ]);
    const handle = await startWorkload({
      ...workload,
      killTimeoutMs: options.killTimeoutMs,
      // A workload holding our files must not outlive us, even when we are killed by SIGKILL.
      parentDeathSignal: 'SIGKILL',
      ...(user === undefined ? {} : { uid: user.uid, gid: user.gid }),
    });
    const forwarding = forwardSignals(handle, undefined, { log });
    // A stop signal that arrived while the workload was being spawned is passed on now.
    stop.close();
    if (stop.received !== undefined) void handle.stop(stop.received);
    options.onStartupDone?.();
    const exit = await handle.exited;
    forwarding.close();
    return exitCodeOf(exit);
  } finally {
    stop.close();
    await prepared.cleanup();
  }
}

interface StopWatch {
  readonly signal: AbortSignal;
  readonly received: NodeJS.Signals | undefined;
  throwIfStopped(): void;
  close(): void;
}

function watchStopSignals(log: Logger): StopWatch {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const listener = (signal: NodeJS.Signals): void => {
    if (received !== undefined) return;
    received = signal;
    log.warn({ signal }, 'stop signal before the workload started; cleaning up');
    controller.abort();
  };
  for (const signal of stopSignals) process.on(signal, listener);
  let closed = false;
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    throwIfStopped() {
      if (received !== undefined) throw new SecretsAgentError('ERR_INTERNAL', `stopped by ${received}`);
    },
    close() {
      if (closed) return;
      closed = true;
      for (const signal of stopSignals) process.off(signal, listener);
    },
  };
}

function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + ((constants.signals as Record<string, number | undefined>)[signal] ?? 0);
}
