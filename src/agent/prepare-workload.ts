// Turns resolved secrets into what the workload gets: its environment (agent credentials removed,
// secret variables added) and its secret files (tmpfs, 0400, owned by the workload's user, linked
// at their containerPath / mountPath under the sandbox). Shared by `run` and the daemon, which
// re-renders files through `rerenderFiles` when values change.
import { assertPlanAcceptsValues, type DeliveryPlan, type FetchedSecretInfo } from '../appdef/index.js';
import { SecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { SecretDir, SecretLinks } from '../deliver/index.js';
import { buildWorkloadEnv } from '../deliver/workload-env.js';
import type { ResolvedSecrets } from './resolve-secrets.js';
import { loadFsPromises } from '../core/lazy-builtins.js';

// File delivery (tmpfs mount, atomic writes, sandbox links) is loaded only when a plan has files:
// an env-only `run` execs its workload that much sooner.
let fileDelivery: Promise<typeof import('../deliver/index.js')> | undefined;
const loadFileDelivery = (): Promise<typeof import('../deliver/index.js')> =>
  (fileDelivery ??= import('../deliver/index.js'));

export interface WorkloadUser {
  readonly uid: number;
  readonly gid: number;
  /** As given on the command line, for messages. */
  readonly name?: string;
}

export interface PrepareWorkloadOptions {
  readonly plan: DeliveryPlan;
  readonly resolved: ResolvedSecrets;
  /** The workload's working directory; files appear at `<sandbox>/<containerPath>`. */
  readonly sandbox: string;
  /** Owner of the secret files and directories (the workload's user). Default: the agent's. */
  readonly user?: WorkloadUser;
  /** Accept a disk-backed secret directory (logged). */
  readonly allowDisk: boolean;
  /** The environment the workload starts from (usually the agent's own). */
  readonly baseEnv: Readonly<Record<string, string | undefined>>;
  /** More variable names to keep from the workload, on top of the agent's credential variables. */
  readonly removeEnvNames?: readonly string[];
  /** Parent of the per-task secret directory (default: /run/secrets-agent as root, else $XDG_RUNTIME_DIR or /dev/shm). */
  readonly secretRoot?: string;
  /**
   * Before the first file: remove secret directories (and their sandbox links) that agents killed
   * earlier left under the secret root. `run` does; the daemon sweeps once at start-up instead.
   */
  readonly sweepStale?: boolean;
  readonly log: Logger;
}

export interface PreparedFile {
  /** Path relative to the sandbox, as the definition names it. */
  readonly containerPath: string;
  /** Absolute path of the file in the secret directory. */
  readonly path: string;
}

export interface PreparedWorkload {
  /** The complete environment to start the workload with. */
  readonly env: Readonly<Record<string, string>>;
  /** The tmpfs directory, when the plan delivered any file. */
  readonly secretDir: SecretDir | undefined;
  /** Files currently delivered (absent optional secrets have none). */
  readonly files: readonly PreparedFile[];
  /** Rewrites (atomically) only the files whose value changed; returns their containerPaths. */
  rerenderFiles(resolved: ResolvedSecrets): Promise<string[]>;
  /** Removes links, files and the secret directory. Safe to call twice. */
  cleanup(): Promise<void>;
}

// Builds the env and writes the files; on any failure removes what it wrote and throws.
export async function prepareWorkload(options: PrepareWorkloadOptions): Promise<PreparedWorkload> {
  const { plan, log } = options;
  assertPlanAcceptsValues(plan, fetchedTypes(options.resolved));
  const env = buildWorkloadEnv({
    baseEnv: options.baseEnv,
    plainEnv: plan.plainEnv,
    secretEnv: buildSecretEnv(plan, options.resolved),
    ...(options.removeEnvNames === undefined ? {} : { removeNames: options.removeEnvNames }),
  });
  const owner = options.user === undefined ? {} : { uid: options.user.uid, gid: options.user.gid };
  let secretDir: SecretDir | undefined;
  const links: SecretLinks[] = [];
  const written = new Map<string, { sha256: string; path: string }>();
  let closing: Promise<void> | undefined;

  const cleanup = (): Promise<void> => {
    closing ??= (async () => {
      for (const link of links) await link.close();
      await secretDir?.close();
      log.debug({ files: written.size }, 'secret files removed');
    })();
    return closing;
  };

  const ensureDir = async (): Promise<SecretDir> => {
    const { createSecretDir, defaultSecretRootDir, sweepStaleSecretDirs } = await loadFileDelivery();
    if (secretDir === undefined && options.sweepStale === true) {
      const rootDir = options.secretRoot ?? defaultSecretRootDir();
      // Leftovers are worth a warning, never a failed delivery.
      const swept = await sweepStaleSecretDirs(rootDir, { log }).catch((error: unknown) => {
        log.warn({ rootDir, err: error }, 'could not sweep stale secret directories');
        return [];
      });
      if (swept.length > 0) log.info({ count: swept.length, rootDir }, 'removed secret directories of killed agents');
    }
    secretDir ??= await createSecretDir({
      ...owner,
      allowDisk: options.allowDisk,
      log,
      ...(options.secretRoot === undefined ? {} : { rootDir: options.secretRoot }),
    });
    return secretDir;
  };

  // Writes the files of `resolved` that differ from what is on disk; links the new ones.
  const render = async (resolved: ResolvedSecrets): Promise<string[]> => {
    const changed: string[] = [];
    const toLink: string[] = [];
    for (const file of plan.files) {
      const secret = resolved.get(file.secretName);
      const previous = written.get(file.relativePath);
      if (secret?.record === undefined) {
        if (secret === undefined) throw missingResolution(file.secretName);
        if (previous !== undefined) {
          await loadFsPromises().rm(previous.path, { force: true });
          written.delete(file.relativePath);
          changed.push(file.relativePath);
        }
        continue;
      }
      if (previous?.sha256 === secret.sha256) continue;
      const dir = await ensureDir();
      const { writeSecretFileAtomic } = await loadFileDelivery();
      const path = await writeSecretFileAtomic({
        dir: dir.path,
        relativePath: file.relativePath,
        bytes: secret.record.bytes,
        mode: 0o400,
        ...owner,
      });
      if (previous === undefined) toLink.push(file.relativePath);
      written.set(file.relativePath, { sha256: secret.sha256, path });
      changed.push(file.relativePath);
    }
    if (toLink.length > 0 && secretDir !== undefined) {
      const { linkSecretFiles } = await loadFileDelivery();
      links.push(
        await linkSecretFiles({
          secretDir: secretDir.path,
          sandboxDir: options.sandbox,
          files: toLink.map((relativePath) => ({ relativePath })),
          recordLinks: true,
          ...owner,
          log,
        }),
      );
    }
    return changed;
  };

  try {
    await render(options.resolved);
  } catch (error) {
    await cleanup().catch((cleanupError: unknown) =>
      log.error({ err: cleanupError }, 'could not remove secret files after a failed delivery'),
    );
    throw error;
  }
  if (written.size > 0)
    log.info({ files: written.size, secretDir: secretDir?.path, fsType: secretDir?.fsType }, 'secret files delivered');
  return {
    env,
    get secretDir() {
      return secretDir;
    },
    get files() {
      return [...written].map(([containerPath, file]) => ({ containerPath, path: file.path }));
    },
    async rerenderFiles(resolved) {
      if (closing !== undefined) throw new SecretsAgentError('ERR_USAGE', 'rerenderFiles() after cleanup()');
      assertPlanAcceptsValues(plan, fetchedTypes(resolved));
      return render(resolved);
    },
    cleanup,
  };
}

// The secret variables of the plan (absent optional ones left out); text values as UTF-8.
export function buildSecretEnv(plan: DeliveryPlan, resolved: ResolvedSecrets): Record<string, string> {
  const env = Object.create(null) as Record<string, string>;
  for (const variable of plan.env) {
    const secret = resolved.get(variable.secretName);
    if (secret === undefined) throw missingResolution(variable.secretName);
    if (secret.record === undefined) continue;
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(secret.record.bytes);
    } catch {
      throw new SecretsAgentError(
        'ERR_APPDEF_INVALID',
        `${variable.pointer}: secret \`${variable.secretName}\` (source \`${variable.sourcePath}\`) is not UTF-8 text and cannot be an environment variable; deliver it as a file`,
        {
          details: { pointer: variable.pointer, secretPath: variable.sourcePath },
        },
      );
    }
    if (text.includes('\0')) {
      throw new SecretsAgentError(
        'ERR_APPDEF_INVALID',
        `${variable.pointer}: secret \`${variable.secretName}\` (source \`${variable.sourcePath}\`) contains a NUL byte, which an environment cannot carry; deliver it as a file`,
        {
          details: { pointer: variable.pointer, secretPath: variable.sourcePath },
        },
      );
    }
    env[variable.name] = text;
  }
  return env;
}

function fetchedTypes(resolved: ResolvedSecrets): Map<string, FetchedSecretInfo> {
  const types = new Map<string, FetchedSecretInfo>();
  for (const secret of resolved.values())
    if (secret.record !== undefined) types.set(secret.path, { type: secret.record.type });
  return types;
}

function missingResolution(name: string): SecretsAgentError {
  return new SecretsAgentError('ERR_INTERNAL', `secret \`${name}\` of the plan was not resolved`);
}
