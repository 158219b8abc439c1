// Mounting and unmounting the per-task tmpfs with mount(8)/umount(8) (no shell, fixed argv).
// Propagation is left as the parent's: a mount under a shared parent shows up in peer
// namespaces and so does its unmount, which is symmetric. Making it private after the fact
// would leave copies in peers that our unmount never reaches.
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TmpfsMountResult {
  /** Whether the kernel took `noswap` (Linux >= 6.4); older kernels get the mount without it. */
  readonly noswap: boolean;
}

// Mounts a fresh tmpfs of `sizeBytes` on `dir`: mode 0700, noexec, nosuid, nodev, and noswap when accepted.
export async function mountTmpfs(dir: string, sizeBytes: number): Promise<TmpfsMountResult> {
  const base = `size=${sizeBytes},mode=0700,noexec,nosuid,nodev`;
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `${base},noswap`, 'tmpfs', dir]);
    return { noswap: true };
  } catch {
    // Unknown option on older kernels; any other failure repeats below and is reported there.
    await run('mount', ['-t', 'tmpfs', '-o', base, 'tmpfs', dir]);
    return { noswap: false };
  }
}

// Unmounts `dir`. When it is busy (a process still has a file open or its cwd there),
// `beforeLazy` runs (the caller empties it) and the mount is detached lazily; the kernel frees
// it once the last user lets go. Returns how it went.
export async function unmountTmpfs(dir: string, beforeLazy: () => Promise<void>): Promise<'unmounted' | 'lazy'> {
  try {
    await run('umount', [dir]);
    return 'unmounted';
  } catch {
    await beforeLazy();
    await run('umount', ['-l', dir]);
    return 'lazy';
  }
}

// True when `dir` is a mount point (its device differs from its parent's).
export async function isMountPoint(dir: string): Promise<boolean> {
  const [self, parent] = await Promise.all([stat(dir), stat(dirname(dir))]);
  return self.dev !== parent.dev;
}

// mount(8)'s stderr names the option or path that failed; it never contains file content.
export function describeCommandError(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  if (typeof stderr === 'string' && stderr.trim() !== '') return stderr.trim().split('\n')[0] as string;
  return (error as { code?: unknown }).code === 'ENOENT'
    ? 'command not found'
    : String((error as Error).message ?? error);
}
