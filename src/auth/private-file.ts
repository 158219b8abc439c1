// Writes a small private file (a session: a token, maybe a private key) so that readers see the
// old content or the new, never a mix: temp file 0600 in the same 0700 directory, fsync, rename,
// fsync the directory; the temp file is removed on every failure.
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SecretsAgentError } from '../core/errors.js';

// Creates `dir` (0700) if needed and tightens an existing one to 0700: the directory only holds our state.
export async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const stats = await lstat(dir);
    if (!stats.isDirectory())
      throw new SecretsAgentError('ERR_CONFIG_INVALID', `state directory ${dir} is not a directory`);
    if ((stats.mode & 0o777) !== 0o700) await chmod(dir, 0o700);
  } catch (error) {
    if (error instanceof SecretsAgentError) throw error;
    throw new SecretsAgentError(
      'ERR_CONFIG_INVALID',
      `state directory ${dir}: cannot create or secure it (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      { cause: error },
    );
  }
}

// Replaces `file` atomically with `content`, mode 0600.
export async function writePrivateFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const dir = dirname(file);
  await ensurePrivateDir(dir);
  const temp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw new SecretsAgentError(
      'ERR_CONFIG_INVALID',
      `${file}: cannot write (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      { cause: error },
    );
  }
  // The rename is durable only once the directory entry is on disk.
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
