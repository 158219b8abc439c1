// Makes each secret file reachable at `<sandbox>/<relativePath>`, where the workload looks for it
// (Marathon's `containerPath` / `mountPath` are relative to the sandbox). Each is a symlink into the
// tmpfs, not a bind mount: symlinks need no privileges, vanish with the sandbox, and leave no mount
// behind if the agent is killed. The content itself never touches the sandbox's disk.
import { lchown, lstat, readlink, rename, rm, rmdir, symlink, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SecretsAgentError, isSecretsAgentError } from '../core/errors.js';
import { loadCrypto } from '../core/lazy-builtins.js';
import type { Logger } from '../core/log.js';
import { assertOwnerId } from './atomic-write.js';
import { recordLinks } from './link-manifest.js';
import { openDirBeneath, pathBeneath } from './open-beneath.js';
import { parseRelativePath } from './relative-path.js';

export interface SecretFileLink {
  /** Path of the file below `secretDir`, and of the link below `sandboxDir`. */
  relativePath: string;
}

export interface LinkSecretFilesOptions {
  secretDir: string;
  sandboxDir: string;
  files: readonly SecretFileLink[];
  /** Owner of links and of sandbox directories created for them (the workload's user). */
  uid?: number;
  gid?: number;
  /**
   * Record each link (and each directory made for it) in `.<secretDir name>.links` beside it before making it, so a
   * sweep after a crash can remove them (link-manifest.ts). Default false.
   */
  recordLinks?: boolean;
  log?: Logger;
}

export interface SecretLinks {
  /** Absolute sandbox paths of the links, in `files` order. */
  readonly paths: readonly string[];
  /** Removes the links (only those still pointing where we left them) and the directories made for them. */
  close(): Promise<void>;
}

// Creates one symlink per file, atomically (temp link + rename); refuses to replace anything but a symlink.
export async function linkSecretFiles(options: LinkSecretFilesOptions): Promise<SecretLinks> {
  // No pino-backed silent logger as a default: loading pino creates process.stderr (see cli/fd-logger.ts).
  const log = options.log;
  assertOwnerId('uid', options.uid);
  assertOwnerId('gid', options.gid);
  const created: { path: string; target: string }[] = [];
  const createdDirs: string[] = [];
  let closing: Promise<void> | undefined;
  const links: SecretLinks = {
    get paths() {
      return created.map((link) => link.path);
    },
    close() {
      closing ??= removeLinks(created, createdDirs, log);
      return closing;
    },
  };
  try {
    for (const [index, file] of options.files.entries()) {
      const segments = parseRelativePath(file.relativePath, `files[${index}].relativePath`);
      const target = join(options.secretDir, ...segments);
      const path = join(options.sandboxDir, ...segments);
      await assertRegularFile(target);
      await createLink(options, segments, target, path, createdDirs);
      created.push({ path, target });
    }
  } catch (error) {
    await links.close();
    if (isSecretsAgentError(error)) throw error;
    throw new SecretsAgentError(
      'ERR_DELIVER_WRITE_FAILED',
      `Could not link secret files into sandbox \`${options.sandboxDir}\``,
      {
        details: { sandboxDir: options.sandboxDir },
        cause: error,
      },
    );
  }
  log?.debug({ sandboxDir: options.sandboxDir, count: created.length }, 'secret files linked into the sandbox');
  return links;
}

async function createLink(
  options: LinkSecretFilesOptions,
  segments: readonly string[],
  target: string,
  path: string,
  createdDirs: string[],
): Promise<void> {
  const madeNow: string[] = [];
  const parent = await openDirBeneath(options.sandboxDir, segments.slice(0, -1), {
    create: true,
    dirMode: 0o700,
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
    onCreated: (dir) => {
      createdDirs.push(dir);
      madeNow.push(dir);
    },
  });
  if (options.recordLinks === true) {
    await recordLinks(options.secretDir, [
      ...madeNow.map((dir) => ({ dir: resolve(dir) })),
      { link: resolve(path), target },
    ]).catch(async (error: unknown) => {
      await parent.close();
      throw error;
    });
  }
  const finalPath = pathBeneath(parent, segments[segments.length - 1] as string);
  const tempPath = pathBeneath(parent, `.tmp-link-${loadCrypto().randomBytes(8).toString('hex')}`);
  try {
    const existing = await lstat(finalPath).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    });
    // A symlink is ours from an earlier run (or a stale one); anything else is the workload's data.
    if (existing !== undefined && !existing.isSymbolicLink()) {
      throw new SecretsAgentError(
        'ERR_DELIVER_WRITE_FAILED',
        `Sandbox path \`${path}\` already exists and is not a symbolic link; refusing to replace it`,
        {
          details: { path },
        },
      );
    }
    await symlink(target, tempPath);
    if (options.uid !== undefined || options.gid !== undefined)
      await lchown(tempPath, options.uid ?? -1, options.gid ?? -1);
    await rename(tempPath, finalPath);
  } catch (error) {
    await rm(tempPath, { force: true }).catch(() => undefined);
    throw error;
  } finally {
    await parent.close();
  }
}

async function assertRegularFile(target: string): Promise<void> {
  const info = await lstat(target).catch(() => undefined);
  if (info === undefined || !info.isFile()) {
    throw new SecretsAgentError(
      'ERR_DELIVER_WRITE_FAILED',
      `Secret file \`${target}\` does not exist or is not a regular file`,
      {
        details: { path: target },
      },
    );
  }
}

async function removeLinks(
  created: readonly { path: string; target: string }[],
  createdDirs: readonly string[],
  log: Logger | undefined,
): Promise<void> {
  for (const { path, target } of created) {
    try {
      if ((await readlink(path)) === target) await unlink(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Gone already, or replaced by the workload with something that is not a link: leave it.
      if (code !== 'ENOENT' && code !== 'EINVAL') log?.warn({ path, err: error }, 'could not remove secret link');
    }
  }
  for (const dir of [...createdDirs].reverse()) await rmdir(dir).catch(() => undefined);
}
