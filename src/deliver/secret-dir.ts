// The per-task secret directory: a private tmpfs when we may mount, else a 0700 directory on an
// existing memory-backed filesystem. Disk-backed locations are refused unless explicitly allowed.
import { chmod, chown, mkdir, mkdtemp, rmdir, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describeValue } from '../config/describe-value.js';
import { SecretsAgentError, isSecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { assertOwnerId, writeSecretFileAtomic } from './atomic-write.js';
import { detectFsType, type SecretFsType } from './fs-type.js';
import { linkManifestPath } from './link-manifest.js';
import { currentOwner, formatSecretDirPrefix } from './owner-process.js';
import { emptyDirectory } from './remove-tree.js';
import { describeCommandError, mountTmpfs, unmountTmpfs } from './tmpfs-mount.js';

/** Where root puts per-task mounts when no `rootDir` is given. */
export const defaultRootRuntimeDir = '/run/secrets-agent';
/** 16 MiB cap per task: a task holds a handful of secrets of at most 1 MiB; tmpfs uses memory only for what is written. */
export const defaultSecretDirSizeBytes = 16 * 1024 * 1024;

export interface SecretDirOptions {
  /** Parent of the per-task directory. Default: /run/secrets-agent as root, else $XDG_RUNTIME_DIR or /dev/shm. */
  rootDir?: string;
  /** Size cap of the mounted tmpfs (ignored when nothing is mounted). Default 16 MiB. */
  sizeBytes?: number;
  /** Owner of the directory (the workload's user and group). */
  uid?: number;
  gid?: number;
  /** Accept a disk-backed location (logged as a warning). Default false. */
  allowDisk?: boolean;
  /** Mount a private tmpfs. Default: true when running as root. A failed mount falls back to a plain directory. */
  mountTmpfs?: boolean;
  log?: Logger;
}

export interface SecretDir {
  /** Absolute path of the directory (0700, owned by uid/gid). */
  readonly path: string;
  readonly fsType: SecretFsType;
  /** Whether a tmpfs was mounted on `path` for this task. */
  readonly mounted: boolean;
  /** Whether that mount has `noswap`. */
  readonly noswap: boolean;
  /** Removes every file, unmounts and removes the directory. Safe to call twice. */
  close(): Promise<void>;
}

// Creates the secret directory for one task and proves it writable with a probe file.
export async function createSecretDir(options: SecretDirOptions = {}): Promise<SecretDir> {
  // No pino-backed silent logger as a default: loading pino creates process.stderr (see cli/fd-logger.ts).
  const log = options.log;
  const isRoot = process.geteuid?.() === 0;
  const sizeBytes = options.sizeBytes ?? defaultSecretDirSizeBytes;
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 4096) {
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `Expected \`sizeBytes\` to be an integer of at least 4096, got ${describeValue(sizeBytes)}`,
      {
        details: { option: 'sizeBytes' },
      },
    );
  }
  assertOwnerId('uid', options.uid);
  assertOwnerId('gid', options.gid);
  const rootDir = resolve(options.rootDir ?? defaultSecretRootDir());
  let path: string;
  try {
    // 0711: the workload's user may pass through to its own directory but not list the others.
    // Set explicitly when we create it: a strict umask (077) would leave 0700 and lock the workload out.
    if ((await mkdir(rootDir, { recursive: true, mode: 0o711 })) !== undefined) await chmod(rootDir, 0o711);
    path = await mkdtemp(join(rootDir, formatSecretDirPrefix(currentOwner())));
  } catch (error) {
    throw new SecretsAgentError(
      'ERR_DELIVER_WRITE_FAILED',
      `Could not create a secret directory under \`${rootDir}\``,
      {
        details: { rootDir },
        cause: error,
      },
    );
  }

  let mounted = false;
  let noswap = false;
  // Unmounting drops every file at once, without walking a tree the workload may still be
  // changing; only a plain directory (or a busy mount) is emptied file by file.
  const cleanup = async (): Promise<void> => {
    if (mounted) {
      const how = await unmountTmpfs(path, () => emptyDirectory(path));
      if (how === 'lazy') log?.warn({ path }, 'secret tmpfs was busy; emptied it and detached it lazily');
    } else {
      await emptyDirectory(path);
    }
    await rmdir(path).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
    // The record of sandbox links (link-manifest.ts): the links themselves went first.
    await unlink(linkManifestPath(path)).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    });
  };

  try {
    if (options.mountTmpfs ?? isRoot) {
      try {
        ({ noswap } = await mountTmpfs(path, sizeBytes));
        mounted = true;
      } catch (error) {
        log?.warn(
          { path, reason: describeCommandError(error) },
          'could not mount a tmpfs for secrets; using the directory as it is',
        );
      }
    }
    await chmod(path, 0o700);
    if (options.uid !== undefined || options.gid !== undefined) await chown(path, options.uid ?? -1, options.gid ?? -1);
    const fsType = await detectFsType(path);
    if (fsType === 'disk') {
      if (options.allowDisk !== true) {
        throw new SecretsAgentError(
          'ERR_DELIVER_UNSAFE_LOCATION',
          `Secret directory \`${path}\` is on disk-backed storage, not tmpfs or ramfs; choose a memory-backed root directory or allow disk explicitly`,
          { details: { path, rootDir } },
        );
      }
      log?.warn({ path }, 'secret files will be written to disk-backed storage (allowed explicitly)');
    }
    await probeWritable(path, options.uid, options.gid);
    log?.debug({ path, fsType, mounted, noswap }, 'secret directory ready');
    let closing: Promise<void> | undefined;
    return {
      path,
      fsType,
      mounted,
      noswap,
      close() {
        closing ??= cleanup().then(() => log?.debug({ path }, 'secret directory removed'));
        return closing;
      },
    };
  } catch (error) {
    await cleanup().catch((cleanupError: unknown) =>
      log?.error({ path, err: cleanupError }, 'could not remove secret directory'),
    );
    if (isSecretsAgentError(error)) throw error;
    throw new SecretsAgentError('ERR_DELIVER_WRITE_FAILED', `Could not prepare secret directory \`${path}\``, {
      details: { path },
      cause: error,
    });
  }
}

// The parent of per-task secret directories when no `rootDir` is given; exported for the daemon,
// which sweeps that same directory for crash leftovers.
export function defaultSecretRootDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (process.geteuid?.() === 0) return defaultRootRuntimeDir;
  const runtimeDir = env['XDG_RUNTIME_DIR'];
  return runtimeDir === undefined || runtimeDir === '' ? '/dev/shm' : join(runtimeDir, 'secrets-agent');
}

// A bad location (read-only, full, foreign owner) fails here, at start-up, not at the first secret.
async function probeWritable(path: string, uid: number | undefined, gid: number | undefined): Promise<void> {
  const probe = await writeSecretFileAtomic({
    dir: path,
    relativePath: '.write-probe',
    bytes: new Uint8Array(0),
    ...(uid === undefined ? {} : { uid }),
    ...(gid === undefined ? {} : { gid }),
  });
  await unlink(probe);
}
