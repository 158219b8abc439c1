// Loads `run`'s one-file bundle (run-bundle.cjs, built by `npm run build`) with V8's code cache,
// so a `run` does not parse and compile its ~0.5 MB of JavaScript again on every workload start.
// Node >= 22.1: the built-in compile cache (enable-compile-cache.ts), then require(). Node 20:
// vm.Script with `cachedData` read from, and written to, a directory that is ours alone (0700,
// ours, no symlink: the cache is code this process will run). A cache file is named for a hash
// of the bundle's bytes, Node's version and the CPU architecture, and carries a sha256 of its own
// payload: a stale, foreign or corrupt cache is never handed to V8; one V8 refuses
// (`cachedDataRejected`) is written anew. A cache is an optimisation: no failure of it fails a run.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import module, { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';
import { enableCompileCache, privateCacheDirectory } from './enable-compile-cache.js';

export interface RunBundle {
  /** Runs `run ...`; `warm` is called once, after the store work and before the workload starts. */
  runFromBundle(argv: readonly string[], warm?: () => void): Promise<number>;
}

export interface LoadRunBundleOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Use vm.Script with cached data even where module.enableCompileCache exists (tests). */
  readonly forceVmCache?: boolean;
}

export interface LoadedRunBundle {
  readonly bundle: RunBundle;
  /** Saves the code cache when the loaded one was missing or refused; a no-op otherwise. */
  readonly warm: () => void;
  /** What happened to the cache: `accepted`, `missing`, `rejected`, `corrupt`, `builtin` (Node's own) or `off`. */
  readonly cache: 'accepted' | 'missing' | 'rejected' | 'corrupt' | 'builtin' | 'off';
}

const checksumBytes = 32;
const cachePrefix = 'run-';
const cacheSuffix = '.v8cache';

// The bundle at `file`, or undefined when there is none (running from src/ under tsx).
export function loadRunBundle(file: string, options: LoadRunBundleOptions): LoadedRunBundle | undefined {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const require = createRequire(file);
  const builtin = (module as unknown as { enableCompileCache?: unknown }).enableCompileCache;
  if (typeof builtin === 'function' && options.forceVmCache !== true) {
    enableCompileCache(options.env);
    return { bundle: require(file) as RunBundle, warm: () => undefined, cache: 'builtin' };
  }

  const directory = runCacheDirectory(options.env);
  const cacheFile =
    directory === undefined
      ? undefined
      : join(directory, `${cachePrefix}${hashText(`${process.version}\0${process.arch}\0${source}`)}${cacheSuffix}`);
  const read = cacheFile === undefined ? undefined : readCacheFile(cacheFile);
  // The CommonJS wrapper, so the bundle sees require/module/exports as a module file would.
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new Script(wrapped, {
    filename: file,
    ...(read instanceof Buffer ? { cachedData: read } : {}),
  });
  const cache =
    cacheFile === undefined
      ? 'off'
      : read === 'corrupt'
        ? 'corrupt'
        : read === undefined
          ? 'missing'
          : script.cachedDataRejected === true
            ? 'rejected'
            : 'accepted';
  const moduleObject = { exports: {} as unknown };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(moduleObject.exports, moduleObject.exports, require, moduleObject, file, dirname(file));
  let warmed = false;
  return {
    bundle: moduleObject.exports as RunBundle,
    cache,
    warm() {
      if (warmed || cacheFile === undefined || cache === 'accepted') return;
      warmed = true;
      // After the work: the cache then holds every function compiled so far, not just the top level.
      writeCacheFile(cacheFile, script.createCachedData());
    },
  };
}

// $XDG_CACHE_HOME/secrets-agent, else ~/.cache/secrets-agent, else a per-uid directory in the
// temp dir; the first that can be made (or is) private.
export function runCacheDirectory(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const xdg = env['XDG_CACHE_HOME'];
  const home = env['HOME'] ?? safeHomedir();
  const candidates = [
    ...(xdg !== undefined && isAbsolute(xdg) ? [[xdg, 'secrets-agent']] : []),
    ...(home !== undefined && isAbsolute(home) ? [[home, '.cache', 'secrets-agent']] : []),
    [tmpdir(), `secrets-agent-compile-cache-${process.getuid?.() ?? 'user'}`],
  ];
  for (const parts of candidates) {
    const directory = join(...(parts as [string, ...string[]]));
    privateParent(dirname(directory));
    const made = privateCacheDirectory(directory);
    if (made !== undefined) return made;
  }
  return undefined;
}

// `~/.cache` or $XDG_CACHE_HOME is created 0700 when missing; an existing one is left as it is (only our own directory must be private).
function privateParent(directory: string): void {
  try {
    privateCacheDirectory(directory);
  } catch {
    // The child's own check decides.
  }
}

function safeHomedir(): string | undefined {
  try {
    return homedir();
  } catch {
    return undefined;
  }
}

// The V8 cache payload when the file is whole (its sha256 matches); 'corrupt' when it is not; undefined when absent.
function readCacheFile(file: string): Buffer | 'corrupt' | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  if (bytes.length <= checksumBytes) return 'corrupt';
  const payload = bytes.subarray(checksumBytes);
  const sum = createHash('sha256').update(payload).digest();
  return sum.equals(bytes.subarray(0, checksumBytes)) ? payload : 'corrupt';
}

// Written to a temp file and renamed, so a concurrent `run` reads the old cache or the new one, never half;
// caches of other bundles or Node versions are removed.
function writeCacheFile(file: string, payload: Buffer): void {
  const directory = dirname(file);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, Buffer.concat([createHash('sha256').update(payload).digest(), payload]), { mode: 0o600 });
    renameSync(temp, file);
    const own = file.slice(directory.length + 1);
    for (const name of readdirSync(directory)) {
      if (name !== own && name.startsWith(cachePrefix) && name.endsWith(cacheSuffix))
        rmSync(join(directory, name), { force: true });
    }
  } catch {
    rmSync(temp, { force: true });
  }
}

function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}
