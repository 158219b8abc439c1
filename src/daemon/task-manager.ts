// The set of tasks, kept in step with the apps directory: a file that appears starts a task, a
// changed file restarts it with the new definition, a removed file stops it. A file that does not
// load (half-written, invalid) is reported with its JSON pointers and ignored; a task already
// running from it keeps its last good definition. Also routes secret changes to the tasks.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { toSecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { createConcurrencyLimit } from './concurrency-limit.js';
import { createTask, type DaemonTaskStatus, type Task, type TaskContext } from './task.js';
import { isDefinitionFileName, loadTaskDefinition } from './task-definition.js';

/** Task starts (fetch, render, spawn) in flight at once: keeps a mass start from starving the event loop. */
const maxConcurrentStarts = 32;

export interface RejectedFile {
  readonly file: string;
  readonly error: string;
}

export interface TaskManager {
  /** Lists the directory and brings every task in line with it; resolves when each start was attempted. */
  syncAll(): Promise<void>;
  /** Re-reads these file names (from the directory watch). */
  syncFiles(names: readonly string[]): Promise<void>;
  /** Re-reads `paths` (or, with `all`, every path in use) from the store and lets each task react. */
  applySecretChanges(paths: readonly string[] | 'all'): Promise<void>;
  inUsePaths(): Set<string>;
  tasks(): readonly Task[];
  status(): DaemonTaskStatus[];
  rejected(): RejectedFile[];
  /** Stops every task (gracefully, in parallel) and removes their files. */
  stopAll(): Promise<void>;
}

export interface TaskManagerOptions {
  readonly appsDir: string;
  readonly context: TaskContext;
  readonly log: Logger;
}

export function createTaskManager(options: TaskManagerOptions): TaskManager {
  const { appsDir, context, log } = options;
  const tasks = new Map<string, Task>();
  const rejected = new Map<string, string>();
  const removing = new Map<string, Promise<void>>();
  const starts = createConcurrencyLimit(maxConcurrentStarts);
  let syncing: Promise<void> = Promise.resolve();
  let stopping = false;

  // Loads one file and applies it; returns the start (or restart) to wait for, if any.
  async function syncFile(name: string): Promise<Promise<void> | undefined> {
    if (stopping) return undefined;
    const path = join(appsDir, name);
    // A task being removed stays listed (as stopping) until its files are gone; a file that
    // comes back meanwhile gets a new task once the old one has stopped.
    await removing.get(name);
    const existing = tasks.get(name);
    if (!(await isFile(path))) {
      rejected.delete(name);
      if (existing === undefined) return undefined;
      log.info({ file: name }, 'definition removed; stopping task');
      const stopped = existing.stop().then(() => {
        if (tasks.get(name) === existing) tasks.delete(name);
        removing.delete(name);
        context.cache.prune(inUsePaths());
      });
      removing.set(name, stopped);
      return stopped;
    }
    let definition;
    try {
      definition = await loadTaskDefinition(path);
    } catch (error) {
      const failure = toSecretsAgentError(error);
      const message = `${failure.code}: ${failure.message}`;
      rejected.set(name, message);
      existing?.noteDefinitionError(message);
      log.error(
        { file: name, err: failure, issues: failure.details?.['issues'] },
        existing === undefined ? 'definition ignored' : 'definition ignored; the task keeps its last good definition',
      );
      return undefined;
    }
    rejected.delete(name);
    if (existing !== undefined) {
      existing.noteDefinitionError(undefined);
      return existing.replace(definition);
    }
    const task = createTask(definition, context);
    tasks.set(name, task);
    log.info({ file: name, id: definition.id }, 'definition added; starting task');
    return starts.run(() => task.start());
  }

  const serialize = (work: () => Promise<void>): Promise<void> => {
    const next = syncing.then(work).catch((error: unknown) => log.error({ err: error }, 'apps directory sync failed'));
    syncing = next;
    return next;
  };

  // File reads are serialized (a burst of events settles in order); the starts they cause run in
  // parallel and are awaited together.
  const syncNames = (names: readonly string[]): Promise<void> =>
    serialize(async () => {
      const pending: Promise<void>[] = [];
      for (const name of names) {
        const started = await syncFile(name);
        if (started !== undefined) pending.push(started);
      }
      await Promise.all(pending);
    });

  function inUsePaths(): Set<string> {
    const paths = new Set<string>();
    for (const task of tasks.values()) for (const path of task.definition.plan.secretPaths) paths.add(path);
    return paths;
  }

  return {
    async syncAll() {
      let names: string[];
      try {
        names = (await readdir(appsDir)).filter(isDefinitionFileName);
      } catch (error) {
        log.error({ err: error, appsDir }, 'cannot list the apps directory');
        names = [];
      }
      // Files gone since the last listing are synced too, which stops their tasks.
      await syncNames([...new Set([...names, ...tasks.keys(), ...rejected.keys()])].sort());
    },
    syncFiles: (names) => syncNames(names.filter(isDefinitionFileName)),
    async applySecretChanges(paths) {
      const inUse = inUsePaths();
      const targets = paths === 'all' ? [...inUse] : paths.filter((path) => inUse.has(path));
      if (targets.length === 0) return;
      // One fetch per path for the whole node; the tasks then read the refreshed cache.
      const results = await Promise.allSettled(targets.map((path) => context.cache.refresh(path)));
      const failed = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
      const refreshed = new Set(targets.filter((_path, index) => results[index]?.status === 'fulfilled'));
      // A secret that is gone is a change too: tasks using it re-resolve (and fail or skip it).
      for (const [index, result] of results.entries()) {
        if (result.status === 'rejected' && toSecretsAgentError(result.reason).code === 'ERR_SECRET_NOT_FOUND')
          refreshed.add(targets[index] as string);
      }
      // Not awaited: a task busy with a slow stop must not hold up the next batch of changes;
      // each task's own queue keeps its operations in order.
      // Content that differs from what the cache held (a secret created or newly readable counts).
      const changed = new Set(
        targets.filter((_path, index) => {
          const result = results[index];
          return result?.status === 'fulfilled' && result.value.changed;
        }),
      );
      for (const task of tasks.values()) void task.rotate(refreshed, changed);
      // Only an outage is worth retrying the batch for; a refusal is each task's own business.
      const outage = failed.find((result) => toSecretsAgentError(result.reason).retryable);
      if (outage !== undefined) throw outage.reason;
    },
    inUsePaths,
    tasks: () => [...tasks.values()],
    status: () => [...tasks.values()].map((task) => task.status()),
    rejected: () => [...rejected].map(([file, error]) => ({ file, error })),
    async stopAll() {
      stopping = true;
      await syncing;
      await Promise.all([...tasks.values()].map((task) => task.stop()));
    },
  };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
