import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTestLogger } from '../helpers/log-capture.js';
import { linkSecretFiles } from '../../src/deliver/link-files.js';
import { linkManifestPath } from '../../src/deliver/link-manifest.js';
import { createSecretDir } from '../../src/deliver/secret-dir.js';
import { sweepStaleSecretDirs } from '../../src/deliver/sweep-stale.js';
import { diskScratch, isRoot, mountInfo, shmScratch } from './support/scratch.js';

const log = createTestLogger();

// A PID that has just exited (and that nothing has reused yet, or reused with another start time).
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ['-e', '']);
  return pid;
}

function ownStartTicks(): string {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] as string;
}

describe('sweepStaleSecretDirs', () => {
  it('removes directories of dead owners and of reused PIDs, keeps live ones and foreign names', async () => {
    const root = shmScratch();
    const live = await createSecretDir({ rootDir: root, mountTmpfs: false, log });
    const dead = join(root, `secrets-agent.${deadPid()}.12345.abcDEF`);
    const reused = join(root, `secrets-agent.${process.pid}.1${ownStartTicks()}.zzzzzz`);
    const foreign = join(root, 'secrets-agent.not-ours');
    for (const dir of [dead, reused, foreign]) mkdirSync(join(dir, 'nested'), { recursive: true });
    writeFileSync(join(dead, 'nested', 'secret'), 'x');

    const removed = await sweepStaleSecretDirs(root, { log });
    expect(removed.sort()).toEqual([dead, reused].sort());
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(reused)).toBe(false);
    expect(existsSync(live.path)).toBe(true);
    expect(existsSync(foreign)).toBe(true);
    await live.close();
  });

  it('unmounts a stale tmpfs before removing it', async (context) => {
    if (!isRoot) context.skip('mounting a tmpfs needs root (CAP_SYS_ADMIN)');
    const root = diskScratch();
    const stale = join(root, `secrets-agent.${deadPid()}.1.mount0`);
    mkdirSync(stale);
    spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', stale], { stdio: 'inherit' });
    expect(mountInfo(stale)).toBeDefined();
    writeFileSync(join(stale, 'secret'), 'x');
    expect(await sweepStaleSecretDirs(root, { log })).toEqual([stale]);
    expect(mountInfo(stale)).toBeUndefined();
    expect(existsSync(stale)).toBe(false);
  });

  it("removes a dead owner's recorded sandbox links, and only links that still point into its directory (issue 12.5)", async () => {
    const root = shmScratch();
    const sandbox = diskScratch();
    const stale = join(root, `secrets-agent.${deadPid()}.12345.links0`);
    mkdirSync(join(stale, 'nested'), { recursive: true });
    writeFileSync(join(stale, 'nested', 'secret'), 'x');
    const links = await linkSecretFiles({
      secretDir: stale,
      sandboxDir: sandbox,
      files: [{ relativePath: 'nested/secret' }],
      recordLinks: true,
      log,
    });
    expect(readFileSync(linkManifestPath(stale), 'utf8')).toContain(join(sandbox, 'nested'));
    // Records the sweep must ignore: a link re-pointed meanwhile, and a link outside the dead directory.
    const repointed = join(sandbox, 'repointed');
    const foreign = join(sandbox, 'foreign');
    symlinkSync('/etc/hostname', repointed);
    symlinkSync('/etc/hostname', foreign);
    appendFileSync(
      linkManifestPath(stale),
      `${JSON.stringify({ link: repointed, target: join(stale, 'x') })}\n${JSON.stringify({ link: foreign, target: '/etc/hostname' })}\nnot json\n`,
    );

    expect(await sweepStaleSecretDirs(root, { log })).toEqual([stale]);
    expect(existsSync(links.paths[0] as string)).toBe(false);
    expect(existsSync(join(sandbox, 'nested'))).toBe(false);
    expect(lstatSync(repointed).isSymbolicLink()).toBe(true);
    expect(lstatSync(foreign).isSymbolicLink()).toBe(true);
    expect(existsSync(linkManifestPath(stale))).toBe(false);
  });

  it('answers an empty list for a missing root', async () => {
    expect(await sweepStaleSecretDirs(join(shmScratch(), 'missing'))).toEqual([]);
  });
});
