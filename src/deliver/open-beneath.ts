// Walks a directory tree one component at a time without following symlinks, as openat(2) with
// O_NOFOLLOW would. Node has no openat, so each step opens `/proc/self/fd/<parent>/<name>`: the
// kernel resolves the magic link to the directory the parent fd really is, so a component swapped
// for a symlink after we looked (by a workload that owns the directory) cannot redirect a write.
import { constants } from 'node:fs';
import { lstat, mkdir, open, type FileHandle } from 'node:fs/promises';
import { SecretsAgentError } from '../core/errors.js';

const openDirFlags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

export interface OpenBeneathOptions {
  /** Create missing directories (mode `dirMode`, owner `uid`/`gid`). */
  create: boolean;
  dirMode?: number;
  uid?: number;
  gid?: number;
  /** Called with the display path of each directory this walk created, outermost first. */
  onCreated?: (displayPath: string) => void;
}

// The path of `name` inside the directory open as `dir`, resolved by the kernel through the fd.
export function pathBeneath(dir: FileHandle, name: string): string {
  return `/proc/self/fd/${dir.fd}/${name}`;
}

// Opens `root/segments...` as a directory; refuses symlinks and non-directories on the way.
// The caller closes the returned handle.
export async function openDirBeneath(
  root: string,
  segments: readonly string[],
  options: OpenBeneathOptions,
): Promise<FileHandle> {
  let current = await open(root, constants.O_RDONLY | constants.O_DIRECTORY);
  let displayPath = root;
  try {
    for (const segment of segments) {
      displayPath = `${displayPath}/${segment}`;
      const next = await openChildDir(current, segment, displayPath, options);
      await current.close();
      current = next;
    }
    return current;
  } catch (error) {
    await current.close().catch(() => undefined);
    throw error;
  }
}

async function openChildDir(
  parent: FileHandle,
  name: string,
  displayPath: string,
  options: OpenBeneathOptions,
): Promise<FileHandle> {
  const path = pathBeneath(parent, name);
  try {
    return await open(path, openDirFlags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Linux answers ENOTDIR (O_DIRECTORY wins) or ELOOP (O_NOFOLLOW) for a symlink; lstat tells which it is.
    if (code === 'ELOOP' || code === 'ENOTDIR') {
      if ((await lstat(path)).isSymbolicLink()) {
        throw new SecretsAgentError(
          'ERR_DELIVER_UNSAFE_LOCATION',
          `\`${displayPath}\` is a symbolic link; refusing to follow it`,
          {
            details: { path: displayPath },
          },
        );
      }
      throw new SecretsAgentError('ERR_DELIVER_WRITE_FAILED', `\`${displayPath}\` exists and is not a directory`, {
        details: { path: displayPath },
      });
    }
    if (code !== 'ENOENT' || !options.create) throw error;
  }
  const dirMode = options.dirMode ?? 0o700;
  try {
    await mkdir(path, { mode: dirMode });
    options.onCreated?.(displayPath);
  } catch (error) {
    // Lost a race with another writer creating the same directory: open what is there.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return openChildDir(parent, name, displayPath, { ...options, create: false });
  }
  const created = await open(path, openDirFlags);
  try {
    await created.chmod(dirMode); // mkdir's mode is filtered by the umask
    if (options.uid !== undefined || options.gid !== undefined)
      await created.chown(options.uid ?? -1, options.gid ?? -1);
    return created;
  } catch (error) {
    await created.close().catch(() => undefined);
    throw error;
  }
}
