// Writes one secret file so that a reader sees the old content or the new, never a mix:
// core/durable-write.ts (temp file in the same directory, write, chmod/chown, fsync, rename), then
// fsync the directory through its handle.
// Standalone on purpose: rotation in the daemon re-renders files through this same function.
import type { FileHandle } from 'node:fs/promises';
import { describeValue } from '../config/describe-value.js';
import { writeFileDurably } from '../core/durable-write.js';
import { SecretsAgentError, isSecretsAgentError } from '../core/errors.js';
import { openDirBeneath, pathBeneath } from './open-beneath.js';
import { parseRelativePath } from './relative-path.js';

export interface WriteSecretFileOptions {
  /** The secret directory (tmpfs); nothing is written outside it. */
  dir: string;
  /** Path below `dir`; missing directories are created 0700 (owned by `uid`/`gid`). */
  relativePath: string;
  bytes: Uint8Array;
  /** Default 0o400. */
  mode?: number;
  uid?: number;
  gid?: number;
}

// Writes `dir/relativePath` atomically and durably; returns the absolute path written.
export async function writeSecretFileAtomic(options: WriteSecretFileOptions): Promise<string> {
  const segments = parseRelativePath(options.relativePath);
  const mode = options.mode ?? 0o400;
  assertFileMode(mode);
  assertOwnerId('uid', options.uid);
  assertOwnerId('gid', options.gid);
  if (!(options.bytes instanceof Uint8Array)) {
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `Expected \`bytes\` to be a Uint8Array, got ${describeValue(options.bytes)}`,
    );
  }
  const name = segments[segments.length - 1] as string;
  const displayPath = `${options.dir}/${segments.join('/')}`;
  let parent: FileHandle | undefined;
  try {
    parent = await openDirBeneath(options.dir, segments.slice(0, -1), {
      create: true,
      dirMode: 0o700,
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
    // The directory is reached through its handle (no path walk a workload could redirect) and synced by it.
    await writeFileDurably(pathBeneath(parent, ''), name, options.bytes, {
      mode,
      syncDirectory: false,
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid }),
    });
    await parent.sync();
    return displayPath;
  } catch (error) {
    if (isSecretsAgentError(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new SecretsAgentError(
      'ERR_DELIVER_WRITE_FAILED',
      `Could not write secret file \`${displayPath}\`${code === undefined ? '' : ` (${code})`}`,
      {
        details: { path: displayPath },
        cause: error,
      },
    );
  } finally {
    await parent?.close().catch(() => undefined);
  }
}

// File modes are permission bits only; write access for group or others is refused.
export function assertFileMode(mode: unknown, option = 'mode'): asserts mode is number {
  if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o777 || (mode & 0o022) !== 0) {
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `Expected \`${option}\` to be permission bits without group/other write (e.g. 0o400), got ${describeValue(mode)}`,
      { details: { option } },
    );
  }
}

// uid/gid are non-negative integers when given.
export function assertOwnerId(option: 'uid' | 'gid', value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xfffffffe) {
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `Expected \`${option}\` to be a non-negative integer, got ${describeValue(value)}`,
      {
        details: { option },
      },
    );
  }
}
