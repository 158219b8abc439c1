// Durable file replacement: temp file in the same directory, fsync, rename (the commit point),
// then fsync the directory so the rename itself survives a power loss.
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** Temp files start with this; a name with it is never a record and is removed on open. */
export const tempFilePrefix = '.tmp-';

// True for names replaceFile uses for its temp files.
export function isTempFileName(name: string): boolean {
  return name.startsWith(tempFilePrefix);
}

// Writes `data` to `dir/name` via a fsynced temp file and a rename; the temp file is removed on every failure.
// The caller must call syncDirectory(dir) afterwards for the rename to be durable.
export async function replaceFile(dir: string, name: string, data: Uint8Array, mode = 0o600): Promise<void> {
  const tempPath = join(dir, `${tempFilePrefix}${randomBytes(8).toString('hex')}`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(tempPath, 'wx', mode);
    await handle.writeFile(data);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tempPath, join(dir, name));
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(tempPath, { force: true }).catch(() => undefined);
    throw error;
  }
}

// Flushes a directory's entries (created, renamed or removed names) to disk.
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
