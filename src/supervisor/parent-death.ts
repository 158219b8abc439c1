// A supervised workload must not outlive an agent killed by SIGKILL while it holds secret files
// (issue 12.5): nothing in the agent runs then, so the kernel has to act. util-linux `setpriv
// --pdeathsig` sets PR_SET_PDEATHSIG in the child and execs the workload (same PID); the kernel
// then signals the workload when the thread that spawned it (Node's main thread) ends.
// Limits: the setting is cleared if the workload execs a set-uid binary or changes its uids, and
// an agent killed in the instant between fork and setpriv's prctl leaves the child running.
import { accessSync, constants } from 'node:fs';

/** Debian's util-linux (an essential package) installs it here. */
export const setprivPath = '/usr/bin/setpriv';

let setprivFound: boolean | undefined;

// Whether setpriv is installed and executable (checked once per process).
export function hasSetpriv(): boolean {
  if (setprivFound === undefined) {
    try {
      accessSync(setprivPath, constants.X_OK);
      setprivFound = true;
    } catch {
      setprivFound = false;
    }
  }
  return setprivFound;
}

// argv for setpriv that runs `path args...` with `signal` as its parent-death signal.
export function buildParentDeathArgs(signal: NodeJS.Signals, path: string, args: readonly string[]): string[] {
  return ['--pdeathsig', signal.replace(/^SIG/, ''), '--', path, ...args];
}
