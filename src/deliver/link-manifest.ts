// The sandbox links of a secret directory, recorded beside it (`.<dir name>.links`, JSON lines,
// 0600, owned by the agent) before each is made. An agent killed by SIGKILL cannot remove its
// links; the next agent's sweep reads the record and removes those that still point into the dead
// directory (issue 12.5). Beside, not inside: the secret directory belongs to the workload's user,
// who must not be able to steer what the agent (maybe root) unlinks.
import { constants } from 'node:fs';
import { open, readFile, readlink, rmdir, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { Logger } from '../core/log.js';

const manifestSuffix = '.links';

export type LinkRecord = { readonly link: string; readonly target: string } | { readonly dir: string };

// Hidden, so whoever lists the secret root for directories (`secrets-agent.*`) does not see it.
export function linkManifestPath(secretDir: string): string {
  return join(dirname(secretDir), `.${basename(secretDir)}${manifestSuffix}`);
}

// The secret directory name a manifest name belongs to, or undefined for other names.
export function parseLinkManifestName(name: string): string | undefined {
  return name.startsWith('.') && name.endsWith(manifestSuffix) ? name.slice(1, -manifestSuffix.length) : undefined;
}

// Appends records to the manifest of `secretDir` (created 0600, never through a symlink).
export async function recordLinks(secretDir: string, records: readonly LinkRecord[]): Promise<void> {
  if (records.length === 0) return;
  const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW;
  const file = await open(linkManifestPath(secretDir), flags, 0o600);
  try {
    await file.write(records.map((record) => `${JSON.stringify(record)}\n`).join(''));
  } finally {
    await file.close();
  }
}

// Removes the recorded links that still point into the manifest's own secret directory, then the
// directories made for them (when empty), then the manifest. Returns how many links it removed.
export async function removeRecordedLinks(manifestPath: string, log?: Logger): Promise<number> {
  const secretDir = join(dirname(manifestPath), parseLinkManifestName(basename(manifestPath)) ?? '');
  let text: string;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  const links: { link: string; target: string }[] = [];
  const dirs: string[] = [];
  for (const line of text.split('\n')) {
    const record = parseRecord(line);
    if (record === undefined) continue;
    if ('dir' in record) dirs.push(record.dir);
    else if (record.target.startsWith(`${secretDir}/`)) links.push(record);
  }
  let removed = 0;
  for (const { link, target } of links) {
    try {
      if ((await readlink(link)) !== target) continue;
      await unlink(link);
      removed += 1;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EINVAL' && code !== 'ENOTDIR')
        log?.warn({ path: link, err: error }, 'could not remove stale secret link');
    }
  }
  for (const dir of dirs.reverse()) await rmdir(dir).catch(() => undefined);
  await unlink(manifestPath).catch(() => undefined);
  return removed;
}

function parseRecord(line: string): LinkRecord | undefined {
  if (line === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { link, target, dir } = value as Record<string, unknown>;
  if (typeof link === 'string' && typeof target === 'string' && isAbsolute(link)) return { link, target };
  if (typeof dir === 'string' && isAbsolute(dir)) return { dir };
  return undefined;
}
