// Crash leftovers: secret directories whose creating process no longer runs, and the sandbox links
// it recorded beside them.
import { lstat, readdir, rmdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '../core/log.js';
import { parseLinkManifestName, removeRecordedLinks } from './link-manifest.js';
import { isOwnerAlive, parseSecretDirName } from './owner-process.js';
import { emptyDirectory } from './remove-tree.js';
import { isMountPoint, unmountTmpfs } from './tmpfs-mount.js';

export interface SweepOptions {
  log?: Logger;
}

// Unmounts and removes every stale secret directory directly under `rootDir`; returns their paths.
// Assumes one PID namespace per root directory (the agents sharing it see each other's PIDs).
export async function sweepStaleSecretDirs(rootDir: string, options: SweepOptions = {}): Promise<string[]> {
  // No pino-backed silent logger as a default: loading pino creates process.stderr (see cli/fd-logger.ts).
  const log = options.log;
  const root = resolve(rootDir);
  let names: string[];
  try {
    names = await readdir(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const euid = process.geteuid?.();
  const removed: string[] = [];
  for (const name of names) {
    const manifestOf = parseLinkManifestName(name);
    const owner = parseSecretDirName(manifestOf ?? name);
    if (owner === undefined || isOwnerAlive(owner)) continue;
    const path = join(root, name);
    if (manifestOf !== undefined) {
      await sweepLinks(path, euid, owner.pid, log);
      continue;
    }
    try {
      const info = await lstat(path);
      // Another user's leftovers in a shared /dev/shm are theirs to sweep.
      if (!info.isDirectory() || (euid !== 0 && info.uid !== euid)) continue;
      if (await isMountPoint(path)) await unmountTmpfs(path, () => emptyDirectory(path));
      else await emptyDirectory(path);
      await rmdir(path);
      removed.push(path);
      log?.info({ path, ownerPid: owner.pid }, 'removed stale secret directory');
    } catch (error) {
      // Gone meanwhile (another agent swept it) is fine; anything else is worth a line.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      log?.warn({ path, err: error }, 'could not remove stale secret directory');
    }
  }
  return removed;
}

// The sandbox links a dead agent recorded (link-manifest.ts): removed when they still point into
// its directory. Only our own records (or any, as root): another user's are theirs to sweep.
async function sweepLinks(path: string, euid: number | undefined, ownerPid: number, log: Logger | undefined) {
  try {
    const info = await lstat(path);
    if (!info.isFile() || (euid !== 0 && info.uid !== euid)) return;
    const count = await removeRecordedLinks(path, log);
    log?.info({ path, ownerPid, links: count }, 'removed stale secret links');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    log?.warn({ path, err: error }, 'could not remove stale secret links');
  }
}
