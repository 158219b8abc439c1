// An exclusive, process-level lock on a data directory: the file `LOCK` naming its holder.
//
// Why this design: Node has no flock(), and a lock must not outlive a crashed holder. The lock
// file is written complete to a candidate file and then hard-linked to `LOCK`; link() fails with
// EEXIST when `LOCK` exists, so creation is atomic like open('wx') and a reader never sees a
// half-written holder. The holder is {pid, start time (Linux /proc starttime), hostname, nonce}.
// A lock is stale when its host is this one and its pid is dead (or a zombie) or now belongs to a
// process that started at another time (pid reuse). A stale lock is moved aside with rename() and re-checked
// by nonce, so a contender never deletes a lock someone else has just taken; only a three-way
// race on the same stale lock within microseconds could still let two opens through. A lock from
// another host (shared file system) is never taken over: remove it by hand if that host is gone.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { backoffCeilingMs, resolveBackoff } from '../../core/backoff.js';
import { SecretsAgentError } from '../../core/errors.js';
import { syncDirectory } from './atomic-file.js';

export const lockFileName = 'LOCK';
const candidatePrefix = 'LOCK.new-';
const stalePrefix = 'LOCK.stale-';
const maxAttempts = 5;

export interface LockHolder {
  readonly pid: number;
  readonly startTicks: string | null;
  readonly hostname: string;
  readonly nonce: string;
  readonly acquiredAt: string;
}

export interface DirLock {
  readonly holder: LockHolder;
  /** Throws ERR_STORAGE_UNAVAILABLE when `LOCK` no longer names this holder (removed or taken). */
  verify(): Promise<void>;
  /** Removes `LOCK` if it is still ours. */
  release(): Promise<void>;
}

// True for `LOCK` and the lock's own side files, which are not records.
export function isLockFileName(name: string): boolean {
  return name === lockFileName || name.startsWith(`${lockFileName}.`);
}

export interface AcquireDirLockOptions {
  /** How long to wait for a live holder to let go before ERR_STORE_LOCKED. Default 0: fail at once. */
  readonly waitMs?: number;
}

// Waits between looks at a live holder's lock: short first (a `run` holds it for tens of ms).
const lockWaitBackoff = resolveBackoff({ baseDelayMs: 5, maxDelayMs: 100 });

// Takes the directory's lock or throws ERR_STORE_LOCKED naming the directory and the holder pid.
export async function acquireDirLock(dir: string, options: AcquireDirLockOptions = {}): Promise<DirLock> {
  const waitMs = options.waitMs ?? 0;
  const deadline = Date.now() + waitMs;
  let waits = 0;
  const lockPath = join(dir, lockFileName);
  const holder: LockHolder = {
    pid: process.pid,
    startTicks: readStartTicks(process.pid),
    hostname: hostname(),
    nonce: randomUUID(),
    acquiredAt: new Date().toISOString(),
  };
  for (let attempt = 1; ; attempt += 1) {
    if (await tryCreateLock(dir, lockPath, holder)) {
      await removeLeftovers(dir);
      return createDirLock(dir, lockPath, holder);
    }
    const current = await readHolder(lockPath);
    if (current === 'unreadable') {
      throw new SecretsAgentError(
        'ERR_STORE_LOCKED',
        `data directory ${dir} has an unreadable ${lockFileName} file; remove it if no process uses the directory`,
        { details: { dir } },
      );
    }
    if (current !== 'missing' && isHolderAlive(current)) {
      const leftMs = deadline - Date.now();
      if (leftMs <= 0) throw lockedError(dir, current, waitMs);
      await delay(Math.min(backoffCeilingMs(waits, lockWaitBackoff), leftMs));
      waits += 1;
      continue;
    }
    // Let go of just now, or left by a dead holder: try again at once, a bounded number of times
    // once the wait is over (with many openers the lock can change hands between two looks).
    if (attempt >= maxAttempts && Date.now() >= deadline) {
      throw new SecretsAgentError(
        'ERR_STORE_LOCKED',
        `data directory ${dir}: its lock kept changing hands while opening`,
        { details: { dir } },
      );
    }
    if (current !== 'missing') await moveStaleLockAside(dir, lockPath, current);
  }
}

function lockedError(dir: string, holder: LockHolder, waitedMs: number): SecretsAgentError {
  const where = holder.hostname === hostname() ? '' : ` on host ${holder.hostname}`;
  const waited = waitedMs > 0 ? `; waited ${waitedMs} ms for it` : '';
  return new SecretsAgentError(
    'ERR_STORE_LOCKED',
    `data directory ${dir} is locked by process ${holder.pid}${where} (since ${holder.acquiredAt})${waited}`,
    {
      details: { dir, pid: holder.pid, hostname: holder.hostname, waitedMs },
    },
  );
}

// Not node:timers/promises: this runs on `run --data-dir`'s start-up, which would load it for nothing.
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function tryCreateLock(dir: string, lockPath: string, holder: LockHolder): Promise<boolean> {
  const candidate = join(dir, `${candidatePrefix}${holder.nonce}`);
  try {
    await writeFile(candidate, `${JSON.stringify(holder)}\n`, { mode: 0o600, flag: 'w' });
    await link(candidate, lockPath);
  } catch (error) {
    // ENOENT: the holder removed our candidate as a crash leftover; the holder's LOCK is there.
    if (errorCode(error) === 'EEXIST' || errorCode(error) === 'ENOENT') return false;
    throw error;
  } finally {
    // Also when writing the candidate failed (a full disk): no LOCK.new-* is left behind (issue 12.9).
    await rm(candidate, { force: true });
  }
  await syncDirectory(dir);
  return true;
}

async function readHolder(lockPath: string): Promise<LockHolder | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 'missing';
    throw error;
  }
  return parseHolder(text) ?? 'unreadable';
}

function parseHolder(text: string): LockHolder | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { pid, startTicks, hostname: host, nonce, acquiredAt } = parsed as Record<string, unknown>;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (startTicks !== null && typeof startTicks !== 'string') return undefined;
  if (typeof host !== 'string' || typeof nonce !== 'string' || typeof acquiredAt !== 'string') return undefined;
  return { pid, startTicks, hostname: host, nonce, acquiredAt };
}

function isHolderAlive(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if (errorCode(error) === 'ESRCH') return false;
  }
  const stat = readProcStat(holder.pid);
  // A zombie (killed, not yet reaped by its parent) still answers kill(pid, 0) but holds nothing
  // (issue 12.6); `X` is a process being torn down.
  if (stat !== null && (stat.state === 'Z' || stat.state === 'X')) return false;
  const ticks = stat?.startTicks ?? null;
  return holder.startTicks === null || ticks === null || ticks === holder.startTicks;
}

// Field 22 of /proc/<pid>/stat: the process start time in clock ticks since boot (null off Linux).
function readStartTicks(pid: number): string | null {
  return readProcStat(pid)?.startTicks ?? null;
}

// Fields 3 (state: R, S, D, Z...) and 22 (start time) of /proc/<pid>/stat; null off Linux or when gone.
function readProcStat(pid: number): { state: string; startTicks: string | null } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields are counted after the last `)`.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', startTicks: fields[19] ?? null };
  } catch {
    return null;
  }
}

async function moveStaleLockAside(dir: string, lockPath: string, stale: LockHolder): Promise<void> {
  const aside = join(dir, `${stalePrefix}${randomUUID()}`);
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  const moved = parseHolder(await readFile(aside, 'utf8').catch(() => ''));
  // Someone else took over between our read and our rename: put their lock back.
  if (moved?.nonce !== stale.nonce) await link(aside, lockPath).catch(() => undefined);
  await rm(aside, { force: true });
}

// Side files of contenders that crashed mid-way; only the holder removes them.
async function removeLeftovers(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith(stalePrefix) || name.startsWith(candidatePrefix)) await rm(join(dir, name), { force: true });
  }
}

function createDirLock(dir: string, lockPath: string, holder: LockHolder): DirLock {
  const isStillOurs = async (): Promise<boolean> => {
    const current = await readHolder(lockPath).catch(() => 'unreadable' as const);
    return typeof current === 'object' && current.nonce === holder.nonce;
  };
  return {
    holder,
    async verify() {
      if (!(await isStillOurs())) {
        throw new SecretsAgentError(
          'ERR_STORAGE_UNAVAILABLE',
          `data directory ${dir}: ${lockFileName} was removed or taken by another process`,
          { details: { dir } },
        );
      }
    },
    async release() {
      if (!(await isStillOurs())) return;
      await rm(lockPath, { force: true });
      await syncDirectory(dir);
    },
  };
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}
