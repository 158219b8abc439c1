// Durable file replacement for the file storage: core/durable-write.ts without the directory fsync,
// which the backend does once per batch (syncDirectory) after its renames.
import { tempFilePrefix, writeFileDurably } from '../../core/durable-write.js';

export { syncDirectory, tempFilePrefix } from '../../core/durable-write.js';

// True for names replaceFile uses for its temp files.
export function isTempFileName(name: string): boolean {
  return name.startsWith(tempFilePrefix);
}

// Writes `data` to `dir/name` via a fsynced temp file and a rename; the temp file is removed on every failure.
// The caller must call syncDirectory(dir) afterwards for the rename to be durable.
export async function replaceFile(dir: string, name: string, data: Uint8Array, mode = 0o600): Promise<void> {
  await writeFileDurably(dir, name, data, { mode, syncDirectory: false });
}
