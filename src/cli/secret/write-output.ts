// Writes secret bytes (a value, a backup) to the file an operator named: mode 0600 from the
// start, atomically (temp file in the same directory, fsync, rename, fsync the directory), the
// temp file removed on every failure; `writeSecretFileAtomic` does exactly that.
import { basename, dirname, resolve } from 'node:path';
import { writeSecretFileAtomic } from '../../deliver/atomic-write.js';
import type { CliIo } from '../io.js';

export const outputFileMode = 0o600;

// Writes `bytes` to `file` (relative to the command's cwd); returns the absolute path.
export async function writeOutputFile(file: string, bytes: Uint8Array, io: CliIo): Promise<string> {
  const absolute = resolve(io.cwd, file);
  return writeSecretFileAtomic({
    dir: dirname(absolute),
    relativePath: basename(absolute),
    bytes,
    mode: outputFileMode,
  });
}
