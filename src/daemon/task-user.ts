// Who a task runs as: Marathon's `user` (an app's `/user`; for a pod, the task container's
// `/containers/N/user`, else the pod's `/user`), as `run --user` takes it. The name is looked up
// when the task starts, not when the file is read: an account created later is found at the next
// try, and an unknown one is that task's error (with its pointer), not a rejected file.
import { formatJsonPointer, type AppDefIssue } from '../appdef/index.js';
import { parseWorkloadUser, type ParseUserOptions } from '../agent/parse-user.js';
import type { WorkloadUser } from '../agent/prepare-workload.js';
import { SecretsAgentError, toSecretsAgentError } from '../core/errors.js';

export interface TaskUser {
  /** As written: NAME, UID, NAME:GROUP or UID:GID. */
  readonly name: string;
  /** Where it was written, e.g. `/user` or `/containers/0/user`. */
  readonly pointer: string;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

// Reads the `user` that applies to the task (containerIndex: the pod container it runs, undefined for apps).
export function readTaskUser(
  root: unknown,
  containerIndex: number | undefined,
  issues: AppDefIssue[],
): TaskUser | undefined {
  if (!isObject(root)) return undefined;
  if (containerIndex !== undefined) {
    const containers = root['containers'];
    const container = Array.isArray(containers) ? (containers[containerIndex] as unknown) : undefined;
    if (isObject(container) && container['user'] !== undefined)
      return readUserField(container['user'], formatJsonPointer(['containers', containerIndex, 'user']), issues);
  }
  return root['user'] === undefined ? undefined : readUserField(root['user'], '/user', issues);
}

function readUserField(value: unknown, pointer: string, issues: AppDefIssue[]): TaskUser | undefined {
  if (typeof value !== 'string' || value.trim() === '') {
    issues.push({ pointer, message: 'must be a non-empty user name (or uid) to run the task as' });
    return undefined;
  }
  return { name: value, pointer };
}

// The numeric ids to run `user` as; undefined when they are the daemon's own (nothing to switch).
// Throws ERR_APPDEF_INVALID naming the pointer when the account is unknown or the daemon may not switch.
export async function resolveTaskUser(
  user: TaskUser,
  options: ParseUserOptions = {},
): Promise<WorkloadUser | undefined> {
  let resolved: WorkloadUser;
  try {
    resolved = await parseWorkloadUser(user.name, options);
  } catch (error) {
    // parse-user words its messages for the `--user` flag; here the definition field is the culprit.
    const reason = toSecretsAgentError(error).message.replace(/^`--user [^`]*`: /, '');
    throw userError(user, reason, error);
  }
  const euid = process.geteuid?.();
  if (euid === undefined || euid === 0) return resolved;
  // libuv drops supplementary groups when uid/gid are given, which only root may do.
  if (resolved.uid === euid && resolved.gid === process.getegid?.()) return undefined;
  throw userError(
    user,
    `running a task as uid ${resolved.uid} gid ${resolved.gid} needs the daemon to run as root (it runs as uid ${euid})`,
  );
}

function userError(user: TaskUser, reason: string, cause?: unknown): SecretsAgentError {
  return new SecretsAgentError(
    'ERR_APPDEF_INVALID',
    `${user.pointer}: cannot run the task as \`${user.name.slice(0, 64)}\`: ${reason}`,
    {
      details: { pointer: user.pointer },
      ...(cause === undefined ? {} : { cause }),
    },
  );
}
