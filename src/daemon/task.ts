// One task: a definition file's workload, supervised. Its life is a small state machine
// (starting → running → backoff | held | failed → starting ..., and stopping → stopped), and every
// operation on it (start, exit, rotation, replacement, stop) runs one at a time through a queue,
// so an exit that arrives during a rotation or a stop cannot interleave with it.
import { join } from 'node:path';
import type { NodePgpKey } from '../agent/pgp-value.js';
import { resolveSecrets, type ResolvedSecrets, type ResolveSecretsOptions } from '../agent/resolve-secrets.js';
import { prepareWorkload, type PreparedWorkload } from '../agent/prepare-workload.js';
import { isSecretsAgentError, toSecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { DaemonMetrics } from '../metrics/daemon-metrics.js';
import { exitCodeOf, startWorkload, type WorkloadHandle } from '../supervisor/index.js';
import { makeNonDumpable } from '../supervisor/native-addon.js';
import { notifyEnvVars } from '../systemd/sd-notify.js';
import type { DaemonSettings } from './daemon-config.js';
import type { RestartBudget } from './restart-budget.js';
import { decideRestart, restartDelayMs } from './restart-policy.js';
import type { SecretCache } from './secret-cache.js';
import type { LedgerEntry, TaskState, TaskStatus } from './status-types.js';
import type { TaskDefinition } from './task-definition.js';
import { prepareSandbox } from './task-sandbox.js';
import { resolveTaskUser } from './task-user.js';

export interface TaskContext {
  readonly cache: SecretCache;
  readonly settings: () => DaemonSettings;
  readonly budget: RestartBudget;
  readonly sandboxRoot: string;
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
  /** The node's OpenPGP key (--pgp-key-file): stored values that are OpenPGP messages are decrypted with it. */
  readonly pgpPrivateKey?: NodePgpKey;
  readonly metrics: DaemonMetrics;
  readonly log: Logger;
}

/** Status plus what the shared TaskStatus type does not carry yet. */
export interface DaemonTaskStatus extends TaskStatus {
  /** A rotation restart waits for the node-wide restart budget. */
  readonly restartPending?: true;
  /** The definition file is invalid now; the task keeps its last good definition. */
  readonly definitionError?: string;
}

export type RestartReason = 'exited' | 'rotation' | 'definition-changed' | 'retry';

export interface Task {
  readonly file: string;
  readonly definition: TaskDefinition;
  readonly state: TaskState;
  /** Starts the first run (not awaited: the start is queued). */
  start(): Promise<void>;
  /** A new definition for the same file: restart with it when its bytes differ. */
  replace(definition: TaskDefinition): Promise<void>;
  /**
   * Secrets at `paths` may have changed in the cache: re-resolve, re-render, react. A task waiting
   * to retry a failed start is woken only by `changedPaths` (whose content did change): a poll
   * that re-reads everything must not turn `holdFor` into a retry every poll interval.
   */
  rotate(paths: ReadonlySet<string>, changedPaths: ReadonlySet<string>): Promise<void>;
  /** Records (or clears, with undefined) a problem with the definition file. */
  noteDefinitionError(message: string | undefined): void;
  /** SIGTERM, SIGKILL after the kill timeout, files removed. Safe to call twice. */
  stop(): Promise<void>;
  status(): DaemonTaskStatus;
}

interface Run {
  readonly handle: WorkloadHandle;
  readonly prepared: PreparedWorkload;
  /** What the task holds now: files are re-rendered in place, env only by a restart. */
  delivered: ResolvedSecrets;
  readonly startedAtMs: number;
}

interface LastGood {
  readonly resolved: ResolvedSecrets;
  /** When the store last confirmed these values. */
  readonly verifiedAtMs: number;
}

// Creates the task (state `stopped`) for a loaded definition.
export function createTask(initial: TaskDefinition, context: TaskContext): Task {
  const log = context.log.child({ task: initial.file });
  let definition = initial;
  let state: TaskState = 'stopped';
  let run: Run | undefined;
  let lastGood: LastGood | undefined;
  let stale: { sinceMs: number; untilMs: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let timerDueMs: number | undefined;
  let quickFailures = 0;
  let startFailures = 0;
  let restarts = 0;
  let lastExitCode: number | undefined;
  let lastStartAtMs: number | undefined;
  let lastRotationAtMs: number | undefined;
  let lastError: string | undefined;
  let definitionError: string | undefined;
  const ledger = new Map<string, LedgerEntry>();
  let stopped = false;
  let queue: Promise<void> = Promise.resolve();

  const enqueue = (operation: () => Promise<void>): Promise<void> => {
    const next = queue.then(operation).catch((error: unknown) => log.error({ err: error }, 'task operation failed'));
    queue = next;
    return next;
  };

  const sandbox = (): string => join(context.sandboxRoot, definition.file.replace(/\.json$/, ''));

  // The same inputs for a start and a rotation, so a rotated value is decrypted like the first one.
  const resolveOptions = (settings: DaemonSettings): ResolveSecretsOptions => ({
    plan: definition.plan,
    source: context.cache.source,
    timeoutMs: settings.fetchTimeoutMs,
    log,
    ...(context.pgpPrivateKey === undefined ? {} : { pgpPrivateKey: context.pgpPrivateKey }),
  });

  const clearTimer = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    timerDueMs = undefined;
  };

  const schedule = (delayMs: number, reason: RestartReason): void => {
    clearTimer();
    timerDueMs = Date.now() + delayMs;
    timer = setTimeout(() => {
      timer = undefined;
      timerDueMs = undefined;
      void enqueue(() => launch(reason));
    }, delayMs);
  };

  const recordLedger = (resolved: ResolvedSecrets, paths: ReadonlySet<string> | undefined): void => {
    const at = new Date().toISOString();
    for (const secret of resolved.values()) {
      if (paths !== undefined && !paths.has(secret.path)) continue;
      if (secret.missingOptional === true) ledger.delete(secret.path);
      else ledger.set(secret.path, { path: secret.path, sha256: secret.sha256, deliveredAt: at });
    }
  };

  async function resolveForStart(): Promise<ResolvedSecrets> {
    const settings = context.settings();
    try {
      const resolved = await resolveSecrets(resolveOptions(settings));
      stale = undefined;
      return resolved;
    } catch (error) {
      // Last-known-good: only for a restart (never a first start), only when the store is out of
      // reach (a refusal or a deleted secret is an answer, not an outage), only within the window.
      const ageMs = lastGood === undefined ? Infinity : Date.now() - lastGood.verifiedAtMs;
      if (lastGood !== undefined && isOutage(error) && ageMs <= settings.lastKnownGoodMs) {
        stale = { sinceMs: lastGood.verifiedAtMs, untilMs: lastGood.verifiedAtMs + settings.lastKnownGoodMs };
        log.warn(
          { err: error, verifiedAt: new Date(lastGood.verifiedAtMs).toISOString() },
          'store unreachable; restarting with last-known-good values',
        );
        return lastGood.resolved;
      }
      throw error;
    }
  }

  async function launch(reason: RestartReason | 'first'): Promise<void> {
    if (stopped) return;
    clearTimer();
    state = 'starting';
    if (reason !== 'first') {
      restarts += 1;
      context.metrics.taskRestarts.inc({ reason });
    }
    lastStartAtMs = Date.now();
    const settings = context.settings();
    let resolved: ResolvedSecrets;
    let prepared: PreparedWorkload | undefined;
    try {
      // Before any store read: an unknown user fails the start without costing the store a fetch.
      const user = definition.user === undefined ? undefined : await resolveTaskUser(definition.user);
      resolved = await resolveForStart();
      await prepareSandbox(sandbox(), user);
      prepared = await prepareWorkload({
        plan: definition.plan,
        resolved,
        sandbox: sandbox(),
        allowDisk: settings.allowDisk,
        baseEnv: context.baseEnv,
        // Tasks must not see the service manager's notification socket: a task that wrote
        // READY=1 or WATCHDOG=1 there would speak for the daemon.
        removeEnvNames: notifyEnvVars,
        ...(user === undefined ? {} : { user }),
        ...(settings.secretRoot === undefined ? {} : { secretRoot: settings.secretRoot }),
        log,
      });
      // A task of the daemon's own user must not read its credential in /proc (issue 12.4).
      makeNonDumpable();
      const handle = await startWorkload({
        command: definition.command.command,
        args: definition.command.args,
        env: prepared.env,
        cwd: sandbox(),
        killTimeoutMs: settings.killTimeoutMs,
        // Tasks holding secret files do not outlive a daemon killed by SIGKILL (issue 12.5).
        parentDeathSignal: 'SIGKILL',
        ...(user === undefined ? {} : { uid: user.uid, gid: user.gid }),
        log,
      });
      const current: Run = { handle, prepared, delivered: resolved, startedAtMs: Date.now() };
      run = current;
      if (stale === undefined) lastGood = { resolved, verifiedAtMs: Date.now() };
      ledger.clear();
      recordLedger(resolved, undefined);
      startFailures = 0;
      lastError = undefined;
      state = 'running';
      log.info(
        {
          id: definition.id,
          pid: handle.pid,
          reason,
          stale: stale !== undefined,
          ...(user === undefined ? {} : { uid: user.uid, gid: user.gid }),
        },
        'task started',
      );
      void handle.exited.then((exit) => enqueue(() => onExit(current, exitCodeOf(exit))));
    } catch (error) {
      await prepared
        ?.cleanup()
        .catch((cleanupError: unknown) => log.error({ err: cleanupError }, 'could not remove secret files'));
      failStart(error);
    }
  }

  // A start that failed before the workload ran: store trouble is retried with backoff (never
  // held: an outage is not the task's fault); a definite answer (forbidden, missing secret,
  // command not found) waits `holdFor`, or until one of its secrets changes.
  function failStart(error: unknown): void {
    const failure = toSecretsAgentError(error);
    lastError = `${failure.code}: ${failure.message}`;
    const settings = context.settings();
    if (isOutage(error)) {
      startFailures += 1;
      const delayMs = restartDelayMs(startFailures, settings);
      state = 'backoff';
      log.warn({ err: failure, delayMs }, 'task could not start; store unavailable, retrying');
      schedule(delayMs, 'retry');
      return;
    }
    state = 'failed';
    log.error({ err: failure, retryInMs: settings.holdForMs }, 'task could not start');
    schedule(settings.holdForMs, 'retry');
  }

  async function onExit(ended: Run, exitCode: number): Promise<void> {
    if (run !== ended) return;
    run = undefined;
    lastExitCode = exitCode;
    context.budget.cancel(definition.file);
    await ended.prepared
      .cleanup()
      .catch((error: unknown) => log.error({ err: error }, 'could not remove secret files'));
    if (stopped) return;
    const settings = context.settings();
    const decision = decideRestart({ quickFailures, uptimeMs: Date.now() - ended.startedAtMs }, settings);
    quickFailures = decision.quickFailures;
    if (decision.action === 'hold') {
      state = 'held';
      log.error({ exitCode, quickFailures, heldForMs: decision.delayMs }, 'task keeps failing; holding it back');
    } else {
      state = 'backoff';
      log.warn({ exitCode, quickFailures, delayMs: decision.delayMs }, 'task exited; restarting');
    }
    schedule(decision.delayMs, 'exited');
  }

  async function stopRun(): Promise<void> {
    const ending = run;
    if (ending === undefined) return;
    run = undefined;
    state = 'stopping';
    context.budget.cancel(definition.file);
    const exit = await ending.handle.stop('SIGTERM');
    lastExitCode = exitCodeOf(exit);
    await ending.prepared
      .cleanup()
      .catch((error: unknown) => log.error({ err: error }, 'could not remove secret files'));
  }

  async function restartForRotation(): Promise<void> {
    if (stopped || run === undefined) return;
    await stopRun();
    await launch('rotation');
  }

  async function rotate(paths: ReadonlySet<string>, changedPaths: ReadonlySet<string>): Promise<void> {
    if (stopped || !definition.plan.secretPaths.some((path) => paths.has(path))) return;
    const current = run;
    if (current === undefined) {
      // Waiting to retry: a changed secret may be the fix (created, permission granted).
      const woken = definition.plan.secretPaths.some((path) => changedPaths.has(path));
      if (woken && (state === 'failed' || state === 'backoff')) await launch('retry');
      return;
    }
    const settings = context.settings();
    let resolved: ResolvedSecrets;
    try {
      resolved = await resolveSecrets(resolveOptions(settings));
    } catch (error) {
      lastError = `${toSecretsAgentError(error).code}: ${toSecretsAgentError(error).message}`;
      log.warn({ err: error }, 'could not re-read secrets after a change; keeping the delivered values');
      return;
    }
    lastGood = { resolved, verifiedAtMs: Date.now() };
    if (stale !== undefined) {
      log.info({}, 'store reachable again; values verified');
      stale = undefined;
    }
    const changed = new Set(
      definition.plan.secretPaths.filter((path) => shaOf(current.delivered, path) !== shaOf(resolved, path)),
    );
    if (changed.size === 0) return;
    const changedFiles = await current.prepared.rerenderFiles(resolved);
    current.delivered = resolved;
    const filePaths = new Set(definition.plan.files.map((file) => file.sourcePath));
    const envPaths = new Set(definition.plan.env.map((variable) => variable.sourcePath));
    // The ledger says what the task holds: a path also used in env is old until the restart.
    recordLedger(resolved, new Set([...changed].filter((path) => filePaths.has(path) && !envPaths.has(path))));
    lastRotationAtMs = Date.now();
    const envChanged = [...changed].some((path) => envPaths.has(path));
    const { onChange } = definition.plan;
    log.info(
      { paths: [...changed], files: changedFiles.length, envChanged, onChange: onChange.action },
      'secrets rotated',
    );
    if (envChanged || onChange.action === 'restart') {
      context.metrics.rotations.inc({ reaction: 'restart' });
      const how = context.budget.request(definition.file, () => void enqueue(restartForRotation));
      if (how === 'queued') {
        context.metrics.restartBudgetDeferred.inc();
        log.warn({ queued: context.budget.queued }, 'restart deferred by the node-wide restart budget');
      }
      return;
    }
    context.metrics.rotations.inc({ reaction: onChange.action });
    if (onChange.action === 'signal') current.handle.signal(onChange.signal);
  }

  return {
    file: initial.file,
    get definition() {
      return definition;
    },
    get state() {
      return state;
    },
    start() {
      return enqueue(() => launch('first'));
    },
    replace(next) {
      return enqueue(async () => {
        if (stopped || next.fingerprint === definition.fingerprint) return;
        clearTimer();
        await stopRun();
        definition = next;
        quickFailures = 0;
        startFailures = 0;
        log.info({ id: next.id }, 'definition changed; restarting task');
        await launch('definition-changed');
      });
    },
    rotate(paths, changedPaths) {
      return enqueue(() => rotate(paths, changedPaths));
    },
    noteDefinitionError(message) {
      definitionError = message;
    },
    stop() {
      stopped = true;
      clearTimer();
      context.budget.cancel(definition.file);
      return enqueue(async () => {
        await stopRun();
        state = 'stopped';
      });
    },
    status() {
      const iso = (ms: number | undefined): string | undefined =>
        ms === undefined ? undefined : new Date(ms).toISOString();
      const fields: Record<string, unknown> = {
        id: definition.id,
        file: definition.file,
        state,
        pid: run?.handle.pid,
        restarts,
        lastExitCode,
        lastStartAt: iso(lastStartAtMs),
        lastRotationAt: iso(lastRotationAtMs),
        heldUntil: state === 'held' ? iso(timerDueMs) : undefined,
        stale: stale === undefined ? undefined : { since: iso(stale.sinceMs), until: iso(stale.untilMs) },
        lastError,
        ledger: [...ledger.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
        restartPending: context.budget.isQueued(definition.file) ? true : undefined,
        definitionError,
      };
      for (const key of Object.keys(fields)) if (fields[key] === undefined) delete fields[key];
      return fields as unknown as DaemonTaskStatus;
    },
  };
}

// Store trouble that may pass: unreachable, sealed, timeouts, throttling, 5xx.
function isOutage(error: unknown): boolean {
  if (!isSecretsAgentError(error)) return false;
  if (error.retryable) return true;
  const status = error.details?.['status'];
  return typeof status === 'number' && status >= 500;
}

function shaOf(resolved: ResolvedSecrets, path: string): string | undefined {
  for (const secret of resolved.values()) if (secret.path === path) return secret.sha256;
  return undefined;
}
