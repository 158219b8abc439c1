// V8's compile cache for the CLI's own modules (module.enableCompileCache, Node >= 22.1): a
// later `run` skips compiling what an earlier one compiled. Older Node has no such function, and
// then nothing happens. The cache holds code the process will execute, so it is used only in a
// directory that is ours alone: created 0700, a real directory (no symlink), owned by our uid,
// writable by nobody else; anything else about it and the cache stays off.
import { lstatSync, mkdirSync } from 'node:fs';
import module from 'node:module';
import { loadOs } from '../core/lazy-builtins.js';
import { join } from 'node:path';

type EnableCompileCache = (directory?: string) => unknown;

// Turns the cache on unless NODE_COMPILE_CACHE already chose (Node enables it itself then).
export function enableCompileCache(env: Readonly<Record<string, string | undefined>>): void {
  const enable = (module as unknown as { enableCompileCache?: EnableCompileCache }).enableCompileCache;
  if (
    typeof enable !== 'function' ||
    env['NODE_COMPILE_CACHE'] !== undefined ||
    env['NODE_DISABLE_COMPILE_CACHE'] !== undefined
  )
    return;
  const directory = privateCacheDirectory(tempCacheDirectory());
  if (directory === undefined) return;
  try {
    enable(directory);
  } catch {
    // A cache is an optimisation: never a reason to fail.
  }
}

// The per-uid cache directory in the temp dir (the compile cache's, and the run bundle's last resort).
export function tempCacheDirectory(): string {
  return join(loadOs().tmpdir(), `secrets-agent-compile-cache-${process.getuid?.() ?? 'user'}`);
}

// The directory, created if missing, when it is safe to keep executable code in; else undefined.
// lstat first: an existing directory (every run but the first) costs one call and no exception.
export function privateCacheDirectory(directory: string): string | undefined {
  try {
    let info = lstatSync(directory, { throwIfNoEntry: false });
    if (info === undefined) {
      try {
        mkdirSync(directory, { mode: 0o700 });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return undefined;
      }
      info = lstatSync(directory);
    }
    const uid = process.getuid?.();
    if (!info.isDirectory() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o077) !== 0) return undefined;
    return directory;
  } catch {
    return undefined;
  }
}
