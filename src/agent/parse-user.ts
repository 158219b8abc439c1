// `--user`: `NAME`, `UID`, `NAME:GROUP` or `UID:GID`, looked up in /etc/passwd and /etc/group
// (Node has no getpwnam). Without a group, the user's primary group from /etc/passwd.
import { SecretsAgentError } from '../core/errors.js';
import type { WorkloadUser } from './prepare-workload.js';
import { fileReadError } from '../core/file-read-error.js';
import { loadFsPromises } from '../core/lazy-builtins.js';

export interface ParseUserOptions {
  readonly passwdFile?: string;
  readonly groupFile?: string;
}

// Resolves a --user value to numeric ids; ERR_USAGE naming the flag when it names nobody.
export async function parseWorkloadUser(value: string, options: ParseUserOptions = {}): Promise<WorkloadUser> {
  const [userPart = '', groupPart, extra] = value.split(':');
  if (userPart === '' || groupPart === '' || extra !== undefined) {
    throw usage(`Expected \`--user\` to be NAME, UID, NAME:GROUP or UID:GID, got \`${value.slice(0, 64)}\``);
  }
  const passwd = await readColonFile(options.passwdFile ?? '/etc/passwd');
  const entry = isId(userPart)
    ? passwd.find((fields) => fields[2] === userPart)
    : passwd.find((fields) => fields[0] === userPart);
  if (entry === undefined && !isId(userPart))
    throw usage(`\`--user ${userPart}\`: no such user in ${options.passwdFile ?? '/etc/passwd'}`);
  const uid = Number(isId(userPart) ? userPart : entry?.[2]);
  let gid: number;
  if (groupPart !== undefined) {
    if (isId(groupPart)) {
      gid = Number(groupPart);
    } else {
      const group = (await readColonFile(options.groupFile ?? '/etc/group')).find((fields) => fields[0] === groupPart);
      if (group === undefined)
        throw usage(`\`--user ${value}\`: no such group \`${groupPart}\` in ${options.groupFile ?? '/etc/group'}`);
      gid = Number(group[2]);
    }
  } else if (entry !== undefined && isId(entry[3] ?? '')) {
    gid = Number(entry[3]);
  } else {
    // A bare uid with no passwd entry (common in containers): its group is the same number.
    gid = uid;
  }
  if (!Number.isSafeInteger(uid) || !Number.isSafeInteger(gid))
    throw usage(`\`--user ${value}\`: the account database has no numeric ids for it`);
  return { uid, gid, name: value };
}

function isId(text: string): boolean {
  return /^\d{1,10}$/.test(text) && Number(text) <= 0xfffffffe;
}

async function readColonFile(file: string): Promise<string[][]> {
  let text: string;
  try {
    text = await loadFsPromises().readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fileReadError('ERR_CONFIG_INVALID', file, error);
  }
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(':'));
}

function usage(message: string): SecretsAgentError {
  return new SecretsAgentError('ERR_USAGE', message, { details: { option: 'user' } });
}
