// Writes a small private file (a session: a token, maybe a private key) so that readers see the
// old content or the new, never a mix: core/durable-write.ts, mode 0600, in a 0700 directory.
import { basename, dirname } from 'node:path';
import { writeFileDurably } from '../core/durable-write.js';
import { SecretsAgentError } from '../core/errors.js';
import { loadFsPromises } from '../core/lazy-builtins.js';

// Creates `dir` (0700) if needed and tightens an existing one to 0700: the directory only holds our state.
export async function ensurePrivateDir(dir: string): Promise<void> {
  const fs = loadFsPromises();
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const stats = await fs.lstat(dir);
    if (!stats.isDirectory())
      throw new SecretsAgentError('ERR_CONFIG_INVALID', `state directory ${dir} is not a directory`);
    if ((stats.mode & 0o777) !== 0o700) await fs.chmod(dir, 0o700);
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
  try {
    await writeFileDurably(dir, basename(file), content);
  } catch (error) {
    throw new SecretsAgentError(
      'ERR_CONFIG_INVALID',
      `${file}: cannot write (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      { cause: error },
    );
  }
}
