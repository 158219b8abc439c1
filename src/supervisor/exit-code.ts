// The agent's exit code for a finished workload: its own code, or 128+N when signal N killed it.
import { constants } from 'node:os';
import { errorCodes } from '../core/errors.js';

export interface WorkloadExit {
  /** The workload's exit code; undefined when a signal ended it. */
  readonly exitCode: number | undefined;
  /** The signal that ended the workload, if one did. */
  readonly signal: NodeJS.Signals | undefined;
}

// Shell convention (bash, docker): killed by SIGTERM (15) gives 143, by SIGKILL (9) gives 137.
export function exitCodeOf(exit: WorkloadExit): number {
  if (exit.signal !== undefined) {
    const number = (constants.signals as Record<string, number | undefined>)[exit.signal];
    if (number !== undefined) return 128 + number;
  }
  if (exit.exitCode !== undefined) return exit.exitCode;
  // Neither a code nor a known signal: nothing the workload told us, so the agent's internal-error code.
  return errorCodes.ERR_INTERNAL.exitCode;
}
