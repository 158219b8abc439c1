// PID 1 duty, stated honestly. As PID 1 (container init) the kernel re-parents every orphaned
// grandchild to us, and only PID 1 can reap it. Node cannot: libuv calls waitpid() for the PIDs
// it spawned, never waitpid(-1), and prctl(PR_SET_CHILD_SUBREAPER) is not reachable from
// JavaScript. So orphans of a supervised workload stay zombies until the container ends.
// What we do instead: prefer exec (the workload itself becomes PID 1 and owns that duty);
// when we must supervise, say so once, and point at a real init (`docker run --init`, tini).
import type { Logger } from '../core/log.js';

let warned = false;

// Logs the limitation once per process when this process is PID 1.
export function warnIfPid1(log: Logger): void {
  if (process.pid !== 1 || warned) return;
  warned = true;
  log.warn(
    { pid: 1 },
    'running as PID 1 in supervise mode: orphaned grandchildren of the workload are not reaped; use exec mode or run under an init (docker --init, tini)',
  );
}
