// `run`'s token cache: the auth token a service-account login got, kept in the state directory
// (0700) as a 0600 file per store URL and account, so the next `run` on this node skips the login
// round trip. The token is only a starting point: the token provider does not use an expired one
// (it logs in), and a token the store refuses (401) is dropped and replaced by a fresh login.
import { createHash } from 'node:crypto';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePrivateFileAtomic } from './private-file.js';

const maxTokenBytes = 16 * 1024;

// The cache file of `uid`'s tokens for the store at `url`.
export function tokenCacheFile(stateDir: string, url: string, uid: string): string {
  const key = createHash('sha256').update(`${url}\0${uid}`).digest('hex').slice(0, 32);
  return join(stateDir, 'run-tokens', `${key}.token`);
}

// The cached token, or undefined when there is none or the file is not private to us.
export async function readCachedToken(file: string): Promise<string | undefined> {
  try {
    const info = await lstat(file);
    const uid = process.getuid?.();
    if (!info.isFile() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o077) !== 0) return undefined;
    if (info.size > maxTokenBytes) return undefined;
    const token = (await readFile(file, 'utf8')).trim();
    return token === '' || /[\s\0]/.test(token) ? undefined : token;
  } catch {
    return undefined;
  }
}

// Saves `token` (0600, atomically); failures are ignored: the cache only saves a login.
export async function saveCachedToken(file: string, token: string): Promise<void> {
  try {
    await writePrivateFileAtomic(file, `${token}\n`);
  } catch {
    // Next run logs in again.
  }
}
