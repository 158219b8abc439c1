// Workload supervision: spawn, signals, exit codes, and true exec when possible.
export {
  startWorkload,
  defaultKillTimeoutMs,
  type StartWorkloadOptions,
  type WorkloadHandle,
  type WorkloadState,
} from './start-workload.js';
export {
  forwardSignals,
  forwardedSignals,
  type ForwardedSignal,
  type ForwardSignalsOptions,
  type SignalForwarding,
} from './forward-signals.js';
export { exitCodeOf, type WorkloadExit } from './exit-code.js';
export { execWorkload, type ExecWorkloadOptions } from './exec-workload.js';
export type { WorkloadCommandOptions } from './workload-command.js';
