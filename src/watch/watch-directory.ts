// Watches one directory (not its subdirectories) for files whose names pass `accept`, and reports
// each changed name once its changes have settled for `debounceMs`. Events are only triggers: the
// caller re-reads the file and decides from what is (or is not) there, so atomic renames
// (write `x.tmp`, rename to `x.json`), editors' backup dances and half-written files all end in
// one read of the final state. chokidar enters the project here and nowhere else.
import { basename, dirname, resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { describeValue } from '../config/describe-value.js';
import { SecretsAgentError } from '../core/errors.js';
import { createSilentLogger, type Logger } from '../core/log.js';

export interface WatchDirectoryOptions {
  dir: string;
  /** Which file names (no directory part) to report. Default: all. */
  accept?: (name: string) => boolean;
  /** Quiet time after the last event before a name is reported. Default 150. */
  debounceMs?: number;
  /** Called with settled names (sorted); errors it throws are logged, not fatal. */
  onChange: (names: readonly string[]) => void | Promise<void>;
  log?: Logger;
}

export interface DirectoryWatch {
  /** Resolves once the initial scan is done (the caller lists the directory itself). */
  readonly ready: Promise<void>;
  /** Stops watching; pending names are dropped. Safe to call twice. */
  close(): Promise<void>;
}

export const defaultDebounceMs = 150;

// Starts watching `dir`; the initial files are not reported (ignoreInitial).
export function watchDirectory(options: WatchDirectoryOptions): DirectoryWatch {
  const debounceMs = options.debounceMs ?? defaultDebounceMs;
  if (!Number.isSafeInteger(debounceMs) || debounceMs < 0) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`debounceMs\` to be a non-negative integer, got ${describeValue(debounceMs)}`,
    );
  }
  const log = options.log ?? createSilentLogger();
  const dir = resolve(options.dir);
  const accept = options.accept ?? (() => true);
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const flush = (): void => {
    timer = undefined;
    if (closed || pending.size === 0) return;
    const names = [...pending].sort();
    pending.clear();
    Promise.resolve()
      .then(() => options.onChange(names))
      .catch((error: unknown) => log.error({ err: error, dir }, 'directory change handler failed'));
  };

  const note = (path: string): void => {
    if (closed || resolve(dirname(path)) !== dir) return;
    const name = basename(path);
    if (!accept(name)) return;
    pending.add(name);
    // One timer for the directory: a burst (1000 files copied in) becomes one report.
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(flush, debounceMs);
  };

  const watcher: FSWatcher = watch(dir, { ignoreInitial: true, depth: 0, atomic: true, persistent: true });
  for (const event of ['add', 'change', 'unlink'] as const) watcher.on(event, note);
  watcher.on('error', (error: unknown) => log.warn({ err: error, dir }, 'directory watch error'));
  const ready = new Promise<void>((resolveReady) => watcher.once('ready', () => resolveReady()));

  let closing: Promise<void> | undefined;
  return {
    ready,
    close() {
      closing ??= (async () => {
        closed = true;
        if (timer !== undefined) clearTimeout(timer);
        pending.clear();
        await watcher.close();
      })();
      return closing;
    },
  };
}
