// A task's working directory (its Mesos-style sandbox): private (0700) and owned by the user the
// task runs as, so it can write there; taken back by the daemon's user when the definition drops
// its `user`. The task's secret links are placed in it by prepareWorkload.
import { chown, mkdir } from 'node:fs/promises';
import type { WorkloadUser } from '../agent/prepare-workload.js';

// Creates `dir` if needed and gives it to `user` (undefined: the daemon's own user).
export async function prepareSandbox(dir: string, user: WorkloadUser | undefined): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const uid = user?.uid ?? process.geteuid?.();
  const gid = user?.gid ?? process.getegid?.();
  if (uid !== undefined && gid !== undefined) await chown(dir, uid, gid);
}
