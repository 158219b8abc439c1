// `run`'s token cache: the auth token a service-account login got, kept in the state directory
// (0700) as a 0600 file per store URL and account, so the next `run` on this node skips the login
// round trip. The token is only a starting point: the token provider does not use an expired one
// (it logs in), and a token the store refuses (401) is dropped and replaced by a fresh login.
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCrypto } from '../core/lazy-builtins.js';
import { writePrivateFileAtomic } from './private-file.js';

const maxTokenBytes = 16 * 1024;
// File names stay well under the 255 bytes most file systems allow.
const maxKeyLength = 200;

// The cache file of `uid`'s tokens for the store at `url`: named for both in base64url (no
// separator or dot can appear in it), or, when that would be too long, for their sha256. Not a
// hash every time: node:crypto costs `run` about 2 ms to load (core/lazy-builtins.ts).
export function tokenCacheFile(stateDir: string, url: string, uid: string): string {
  const encoded = `${Buffer.from(url).toString('base64url')}-${Buffer.from(uid).toString('base64url')}`;
  const key =
    encoded.length <= maxKeyLength
      ? encoded
      : `sha256-${loadCrypto().createHash('sha256').update(`${url}\0${uid}`).digest('hex')}`;
  return join(stateDir, 'run-tokens', `${key}.token`);
}

// The cached token, or undefined when there is none or the file is not private to us. Synchronous:
// a few hundred bytes, read before anything else can happen, and `run` then needs no thread pool.
export function readCachedToken(file: string): string | undefined {
  try {
    const info = lstatSync(file);
    const uid = process.getuid?.();
    if (!info.isFile() || (uid !== undefined && info.uid !== uid) || (info.mode & 0o077) !== 0) return undefined;
    if (info.size > maxTokenBytes) return undefined;
    const token = readFileSync(file, 'utf8').trim();
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
