// The one durable write: a reader sees the old file or the new one, never a mix, and after a power
// loss the new one is there or the old one is (Vault Agent's recipe). Temp file in the same
// directory, opened O_EXCL|O_NOFOLLOW with mode 0600 so no byte is ever readable by others, write,
// chmod/chown, fsync, then rename (replace) or link (create-only: an existing file is never
// replaced, EEXIST), then fsync the directory so the new name itself is on disk. The temp file is
// removed on every failure. fs errors come back unchanged: each caller wraps them in its own code.
import { constants } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { loadCrypto, loadFsPromises } from './lazy-builtins.js';

/** Temp files start with this; the file storage treats such names as leftovers, never records. */
export const tempFilePrefix = '.tmp-';

const tempFlags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export interface DurableWriteOptions {
  /** Final permission bits; default 0o600. */
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  /** Never replace an existing file: the write fails with EEXIST instead. */
  readonly createOnly?: boolean;
  /** fsync `dir` after the rename; default true. Off when the caller syncs its own directory handle. */
  readonly syncDirectory?: boolean;
}

/** Writes `data` as `dir/name` durably and atomically (see the file comment); `dir` may be a /proc/self/fd path. */
export async function writeFileDurably(
  dir: string,
  name: string,
  data: string | Uint8Array,
  options: DurableWriteOptions = {},
): Promise<void> {
  const fs = loadFsPromises();
  const tempPath = join(dir, `${tempFilePrefix}${loadCrypto().randomBytes(8).toString('hex')}`);
  let handle: FileHandle | undefined;
  let tempExists = false;
  try {
    handle = await fs.open(tempPath, tempFlags, 0o600);
    tempExists = true;
    await handle.writeFile(data);
    await handle.chmod(options.mode ?? 0o600);
    if (options.uid !== undefined || options.gid !== undefined)
      await handle.chown(options.uid ?? -1, options.gid ?? -1);
    await handle.sync();
    await handle.close();
    handle = undefined;
    if (options.createOnly === true) {
      await fs.link(tempPath, join(dir, name));
    } else {
      await fs.rename(tempPath, join(dir, name));
      tempExists = false;
    }
  } catch (error) {
    await handle?.close().catch(() => undefined);
    throw error;
  } finally {
    if (tempExists) await fs.rm(tempPath, { force: true }).catch(() => undefined);
  }
  if (options.syncDirectory !== false) await syncDirectory(dir);
}

/** Flushes a directory's entries (created, renamed or removed names) to disk. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await loadFsPromises().open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
