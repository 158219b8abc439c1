// Secret directories carry their creator in their name: `secrets-agent.<pid>.<start ticks>.<random>`.
// The start time (field 22 of /proc/<pid>/stat) tells a live owner from a new process that
// reuses the PID of a crashed one; no marker file is needed, so nothing extra sits in the tmpfs.
import { readFileSync } from 'node:fs';

export const secretDirPrefix = 'secrets-agent.';
const namePattern = /^secrets-agent\.(\d+)\.(\d+)\.[A-Za-z0-9]{6}$/;

export interface SecretDirOwner {
  readonly pid: number;
  readonly startTicks: string;
}

// The mkdtemp prefix for a directory owned by this process.
export function formatSecretDirPrefix(owner: SecretDirOwner): string {
  return `${secretDirPrefix}${owner.pid}.${owner.startTicks}.`;
}

// The owner recorded in a directory name, or undefined for names this module did not make.
export function parseSecretDirName(name: string): SecretDirOwner | undefined {
  const match = namePattern.exec(name);
  if (match === null) return undefined;
  return { pid: Number(match[1]), startTicks: match[2] as string };
}

// This process as an owner.
export function currentOwner(): SecretDirOwner {
  const startTicks = readStartTicks(process.pid);
  if (startTicks === undefined) throw new Error('/proc/self/stat is unreadable; is /proc mounted?');
  return { pid: process.pid, startTicks };
}

// True while the recorded process (same PID and same start time) still runs.
export function isOwnerAlive(owner: SecretDirOwner): boolean {
  return readStartTicks(owner.pid) === owner.startTicks;
}

// Field 22 of /proc/<pid>/stat, counted after the `(comm)` field, which may itself hold spaces.
function readStartTicks(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 is fields[19].
  return fields[19];
}
