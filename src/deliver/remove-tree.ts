// Removes a directory's contents without following symlinks, even while someone changes the
// tree (a workload process that outlived its agent). Every step goes through the parent's fd
// (see open-beneath.ts), so a directory swapped for a symlink mid-walk cannot send us elsewhere:
// unlink never follows, and rmdir of a swapped-in symlink fails with ENOTDIR.
import { constants } from 'node:fs';
import { open, readdir, rmdir, unlink, type FileHandle } from 'node:fs/promises';
import { pathBeneath } from './open-beneath.js';

const openDirFlags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

// Empties `dir` (which may be a mount point) and keeps `dir` itself; a missing `dir` is fine.
export async function emptyDirectory(dir: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(dir, openDirFlags);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    await emptyOpenDirectory(handle);
  } finally {
    await handle.close();
  }
}

async function emptyOpenDirectory(dir: FileHandle): Promise<void> {
  for (const name of await readdir(`/proc/self/fd/${dir.fd}`)) {
    const path = pathBeneath(dir, name);
    let child: FileHandle | undefined;
    try {
      child = await open(path, openDirFlags);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      if (code !== 'ENOTDIR' && code !== 'ELOOP') throw error;
    }
    if (child === undefined) {
      await ignoreMissing(unlink(path));
      continue;
    }
    try {
      await emptyOpenDirectory(child);
    } finally {
      await child.close();
    }
    await ignoreMissing(rmdir(path));
  }
}

async function ignoreMissing(operation: Promise<void>): Promise<void> {
  try {
    await operation;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
