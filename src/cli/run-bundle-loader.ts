// Loads `run`'s one-file bundle (run-bundle.cjs, built by `npm run build`) with V8's code cache,
// so a `run` does not parse and compile its JavaScript again on every workload start: a
// vm.Script with `cachedData` read from, and written to, a directory that is ours alone (0700,
// ours, no symlink: the cache is code this process will run). A cache file is named for the
// bundle file's identity as fstat gives it on the descriptor the source is read from (device,
// inode, size, modification and change times in ns), Node's version and the CPU architecture:
// the staleness test Python's bytecode caches use (mtime and size), which costs one fstat where
// hashing the bundle's bytes cost about 3 ms of every run; npm replaces the file (new inode and
// ctime) and V8 itself refuses a cache made for a source of another length.
// Release builds of V8 do not checksum code caches, so a cache file carries a header: a magic
// number, the payload's length and a checksum of a sample of it (every 16th 32-bit word). That
// catches what a crash or a full disk leaves (a short file, zero-filled or stale blocks) without
// loading node:crypto, which alone costs `run` about 2 ms (core/lazy-builtins.ts); deliberate
// changes are kept out by the directory being ours alone, and the file is replaced by rename, so a
// concurrent run never reads half of one. A stale, foreign or damaged cache is never handed to
// V8; one V8 refuses (`cachedDataRejected`) is written anew. A cache is an optimisation: no
// failure of it fails a run. The packages of cachedPackages that the bundle requires get the same
// treatment, each with a cache file of its own.
// On every Node version, Node >= 22's own compile cache included: that one is written when the
// process exits, which a `run` that execs never does (module.flushCompileCache helps from 22.10),
// and it holds what was compiled at load, not what the run went on to compile; this cache, written
// just before the workload starts, made `run` 3-4 ms faster under Node 22 and 24 (docs/benchmarks.md).
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join } from 'node:path';
import { Script } from 'node:vm';
import { privateCacheDirectory, tempCacheDirectory } from './enable-compile-cache.js';
import { loadOs } from '../core/lazy-builtins.js';

export interface RunBundle {
  /** Runs `run ...` and resolves with its exit code, or undefined when the full CLI must take the
   * argv (help, usage errors); `warm` is called once its start-up work is done (before exec; after a supervised workload started), possibly twice. */
  runFromBundle(argv: readonly string[], warm?: () => void): Promise<number | undefined>;
}

export interface LoadRunBundleOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface LoadedRunBundle {
  readonly bundle: RunBundle;
  /** Saves the code caches that were missing or refused (the bundle's, and those of the packages
   * it loaded through cachedPackages); a no-op otherwise. */
  readonly warm: () => void;
  /** What happened to the bundle's cache: `accepted`, `missing`, `rejected`, `corrupt` or `off`. */
  readonly cache: CacheState;
  /** The same for each package of cachedPackages the bundle has loaded so far. */
  packageCaches(): Readonly<Record<string, CacheState>>;
}

export type CacheState = 'accepted' | 'missing' | 'rejected' | 'corrupt' | 'off';

// 'SAV8', the payload's length, its sampleChecksum: three little-endian 32-bit words.
const headerBytes = 12;
const cacheMagic = 0x38564153;
const fnvPrime = 0x01000193;
const bundleCachePrefix = 'run-';
const cacheSuffix = '.v8cache';
// Caches kept per prefix (the bundle's, openpgp's): one per install location, this many installs.
export const maxCachesPerPrefix = 8;

// Packages the bundle requires (packages stay in node_modules) that are worth a code cache of
// their own: openpgp.js, which the embedded store loads to open its keyring when node:crypto
// cannot (store/seal-manager.ts: another key or message shape), is ~400 KB that V8 would otherwise
// compile at every such `run --data-dir` (~12 ms, more with what its decrypt compiles).
const cachedPackages = new Set(['openpgp']);
// Packages built into one CommonJS file beside the bundle (scripts/build-run-bundle.mjs), loaded
// from there with a code cache of their own; Node's require when the file is missing. execa:
// ~40 ES modules a supervised `run` would otherwise resolve and compile at every start.
const vendoredPackages = new Map([['execa', 'run-execa.cjs']]);

// The bundle at `file`, or undefined when there is none (running from src/ under tsx).
export function loadRunBundle(file: string, options: LoadRunBundleOptions): LoadedRunBundle | undefined {
  const read = readSourceFile(file);
  if (read === undefined) return undefined;
  const require = createRequire(file);
  const directory = runCacheDirectory(options.env);
  const packages = new Map<string, { exports: unknown; cache: CacheState; warm: () => void }>();
  // What the bundle gets as `require`: Node's, except for cachedPackages and vendoredPackages,
  // compiled with a cache.
  const bundleRequire = Object.assign((id: string): unknown => {
    const vendored = vendoredPackages.get(id);
    if (directory === undefined || (vendored === undefined && !cachedPackages.has(id))) return require(id);
    let loaded = packages.get(id);
    if (loaded === undefined) {
      const packageFile = vendored === undefined ? require.resolve(id) : join(dirname(file), vendored);
      const packageRead = readSourceFile(packageFile);
      // Unreadable: Node's require reports it as it would.
      if (packageRead === undefined) return require(id);
      loaded = compileWithCache(packageFile, packageRead, directory, `${id}-`);
      packages.set(id, loaded);
    }
    return loaded.exports;
  }, require);
  const loaded = compileWithCache(file, read, directory, bundleCachePrefix, bundleRequire);
  return {
    bundle: loaded.exports as RunBundle,
    cache: loaded.cache,
    warm() {
      loaded.warm();
      for (const entry of packages.values()) entry.warm();
    },
    packageCaches: () => Object.fromEntries([...packages].map(([id, entry]) => [id, entry.cache])),
  };
}

// Compiles and runs a CommonJS file with V8's cached data from `directory` (none when undefined);
// `warm` writes a new cache when there was none or V8 refused it.
function compileWithCache(
  file: string,
  { source, identity }: { source: string; identity: string },
  directory: string | undefined,
  prefix: string,
  require: NodeJS.Require = createRequire(file),
): { exports: unknown; cache: CacheState; warm: () => void } {
  // Older caches are removed by this prefix: the file's location is part of it, so two installs
  // used in turn (a global and a project one) keep a cache each instead of evicting each other's.
  const scope = `${prefix}${hashText(file)}-`;
  const cacheFile =
    directory === undefined
      ? undefined
      : join(directory, `${scope}${process.version}-${process.arch}-${identity}${cacheSuffix}`);
  const cached = cacheFile === undefined ? undefined : readCacheFile(cacheFile);
  // The CommonJS wrapper, so the code sees require/module/exports as a module file would.
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new Script(wrapped, {
    filename: file,
    ...(cached instanceof Buffer ? { cachedData: cached } : {}),
  });
  const cache: CacheState =
    cacheFile === undefined
      ? 'off'
      : cached === 'corrupt'
        ? 'corrupt'
        : cached === undefined
          ? 'missing'
          : script.cachedDataRejected === true
            ? 'rejected'
            : 'accepted';
  const moduleObject = { exports: {} as unknown };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(moduleObject.exports, moduleObject.exports, require, moduleObject, file, dirname(file));
  let warmed = false;
  return {
    exports: moduleObject.exports,
    cache,
    warm() {
      if (warmed || cacheFile === undefined || cache === 'accepted') return;
      warmed = true;
      // After the work: the cache then holds every function compiled so far, not just the top level.
      writeCacheFile(cacheFile, prefix, scope, script.createCachedData());
    },
  };
}

// A file's text and identity (what names its cache), read from one descriptor so both describe
// the same file; undefined when there is none (no bundle: running from src/ under tsx).
function readSourceFile(file: string): { source: string; identity: string } | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const info = fstatSync(fd, { bigint: true });
    const bytes = Buffer.allocUnsafe(Number(info.size));
    let filled = 0;
    while (filled < bytes.length) {
      const count = readSync(fd, bytes, filled, bytes.length - filled, filled);
      if (count === 0) break;
      filled += count;
    }
    const identity = [info.dev, info.ino, filled, info.mtimeNs, info.ctimeNs].join('-');
    return { source: bytes.toString('utf8', 0, filled), identity };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

// $XDG_CACHE_HOME/secrets-agent, else ~/.cache/secrets-agent, else a per-uid directory in the
// temp dir; the first that is (or can be made) private. Candidates are tried in turn, and a
// parent is created only when the directory is missing, so a warm run makes one lstat call.
export function runCacheDirectory(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const xdg = env['XDG_CACHE_HOME'];
  const candidates: Array<() => string[] | undefined> = [
    () => (xdg !== undefined && isAbsolute(xdg) ? [xdg, 'secrets-agent'] : undefined),
    () => {
      const home = env['HOME'] ?? safeHomedir();
      return home !== undefined && isAbsolute(home) ? [home, '.cache', 'secrets-agent'] : undefined;
    },
    // node:os only when no home directory will do: rare, and not free at start-up.
    () => [tempCacheDirectory()],
  ];
  for (const candidate of candidates) {
    const parts = candidate();
    if (parts === undefined) continue;
    const directory = join(...(parts as [string, ...string[]]));
    const found = privateCacheDirectory(directory);
    if (found !== undefined) return found;
    if (privateParent(dirname(directory))) {
      const made = privateCacheDirectory(directory);
      if (made !== undefined) return made;
    }
  }
  return undefined;
}

// `~/.cache` or $XDG_CACHE_HOME is created 0700 when missing; an existing one is left as it is
// (only our own directory must be private). True when the parent now exists.
function privateParent(directory: string): boolean {
  try {
    // Not recursive: Node's recursive mkdir never returns under /proc (ENOENT for ever).
    mkdirSync(directory, { mode: 0o700 });
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EEXIST';
  }
}

function safeHomedir(): string | undefined {
  try {
    return loadOs().homedir();
  } catch {
    return undefined;
  }
}

// The V8 cache payload when the file is whole (header as written, checksum matching); 'corrupt'
// when it is not; undefined when absent.
function readCacheFile(file: string): Buffer | 'corrupt' | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  if (bytes.length <= headerBytes || bytes.readUInt32LE(0) !== cacheMagic) return 'corrupt';
  const payload = bytes.subarray(headerBytes);
  if (bytes.readUInt32LE(4) !== payload.length || bytes.readUInt32LE(8) !== sampleChecksum(payload)) return 'corrupt';
  return payload;
}

// FNV-1a over the length, every 16th 32-bit word and the tail: about 13 thousand steps for a
// 200 KB cache, where a sha256 would first need node:crypto loaded.
export function sampleChecksum(payload: Uint8Array): number {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const words = payload.length >>> 2;
  let hash = Math.imul(0x811c9dc5 ^ payload.length, fnvPrime);
  for (let index = 0; index < words; index += 16) hash = Math.imul(hash ^ view.getUint32(index * 4, true), fnvPrime);
  for (let index = words * 4; index < payload.length; index += 1)
    hash = Math.imul(hash ^ (payload[index] as number), fnvPrime);
  return hash >>> 0;
}

// FNV-1a of a string's UTF-16 code units, as 8 hex digits: names a file's location in a cache name.
function hashText(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) hash = Math.imul(hash ^ text.charCodeAt(index), fnvPrime);
  return (hash >>> 0).toString(16).padStart(8, '0');
}

// Written to a temp file and renamed, so a concurrent `run` reads the old cache or the new one, never half;
// older caches of the same file (same scope, its prefix and location: another build there, another
// Node version) are removed, and caches of other locations (installs since removed, perhaps) are
// kept to the newest maxCachesPerPrefix.
function writeCacheFile(file: string, prefix: string, scope: string, payload: Buffer): void {
  const directory = dirname(file);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    const header = Buffer.alloc(headerBytes);
    header.writeUInt32LE(cacheMagic, 0);
    header.writeUInt32LE(payload.length, 4);
    header.writeUInt32LE(sampleChecksum(payload), 8);
    writeFileSync(temp, Buffer.concat([header, payload]), { mode: 0o600 });
    renameSync(temp, file);
    const own = file.slice(directory.length + 1);
    const others: Array<{ name: string; mtimeMs: number }> = [];
    for (const name of readdirSync(directory)) {
      if (name === own || !name.startsWith(prefix) || !name.endsWith(cacheSuffix)) continue;
      if (name.startsWith(scope)) rmSync(join(directory, name), { force: true });
      else others.push({ name, mtimeMs: statSync(join(directory, name), { throwIfNoEntry: false })?.mtimeMs ?? 0 });
    }
    others.sort((left, right) => right.mtimeMs - left.mtimeMs);
    for (const { name } of others.slice(maxCachesPerPrefix - 1)) rmSync(join(directory, name), { force: true });
  } catch {
    rmSync(temp, { force: true });
  }
}
