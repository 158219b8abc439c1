// Whether fds 0-2 are in non-blocking mode. Once JavaScript touches process.stdout (or stdin) on a
// pipe, libuv sets O_NONBLOCK on the shared open file description, and an exec'd program inherits
// it: plain C programs then fail writes with EAGAIN. The native addon clears it before its execve;
// Node alone cannot (no fcntl): for a
// pipe the exec goes through sh, which reopens it (a new open file description, blocking; see
// sh-trampoline.ts); anything else makes the caller supervise instead.
// /proc/self/fdinfo/<fd> shows `flags:` in octal.
import { constants, fstatSync, readFileSync } from 'node:fs';

// The stdio fds that have O_NONBLOCK set (closed or unreadable fds are skipped).
export function findNonBlockingStdio(): number[] {
  const nonBlocking: number[] = [];
  for (const fd of [0, 1, 2]) {
    let info: string;
    try {
      info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
    } catch {
      continue;
    }
    const match = /^flags:\s*([0-7]+)$/m.exec(info);
    if (match !== null && (Number.parseInt(match[1] as string, 8) & constants.O_NONBLOCK) !== 0) nonBlocking.push(fd);
  }
  return nonBlocking;
}

// Whether `fd` is a pipe or FIFO: those can be reopened through /proc/self/fd without side effects
// (no truncation, no offset of their own).
export function isPipe(fd: number): boolean {
  try {
    return fstatSync(fd).isFIFO();
  } catch {
    return false;
  }
}
