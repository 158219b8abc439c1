// Passes the agent's signals on to the workload. The set is fixed and documented: signals meant
// for the application (stop, reload, dump, resize). Never SIGCHLD, SIGURG, SIGPIPE and the like:
// those describe the agent's own state, and forwarding them breaks children (envconsul #254).
// Note: Ctrl-C in a terminal signals the whole foreground process group, so an interactive
// workload gets that SIGINT twice (from the terminal and from us); services are unaffected.
import { describeValue } from '../config/describe-value.js';
import { SecretsAgentError } from '../core/errors.js';
import { createSilentLogger, type Logger } from '../core/log.js';
import type { WorkloadHandle } from './start-workload.js';

/** Every signal forwardSignals accepts, and its default set. */
export const forwardedSignals = Object.freeze([
  'SIGTERM',
  'SIGINT',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGWINCH',
] as const satisfies readonly NodeJS.Signals[]);

export type ForwardedSignal = (typeof forwardedSignals)[number];

export interface SignalForwarding {
  /** Removes the listeners; done automatically when the workload exits. Safe to call twice. */
  close(): void;
}

export interface ForwardSignalsOptions {
  log?: Logger;
}

// SIGTERM/SIGINT stop the workload (same signal, SIGKILL after the grace period); a second one
// during the grace period sends SIGKILL at once. Other signals pass through unchanged.
// While forwarding, the agent itself is not ended by these signals; it ends with the workload.
// A SIGUSR1 listener also keeps Node from opening its inspector on 127.0.0.1:9229.
export function forwardSignals(
  handle: WorkloadHandle,
  signals: readonly NodeJS.Signals[] = forwardedSignals,
  options: ForwardSignalsOptions = {},
): SignalForwarding {
  const log = options.log ?? createSilentLogger();
  for (const signal of signals) {
    if (!(forwardedSignals as readonly string[]).includes(signal)) {
      throw new SecretsAgentError(
        'ERR_USAGE',
        `Expected \`signals\` to contain only ${forwardedSignals.join(', ')}, got ${describeValue(signal)}`,
      );
    }
  }
  const listeners = new Map<NodeJS.Signals, () => void>();
  for (const signal of new Set(signals)) {
    const listener = (): void => {
      if (signal !== 'SIGTERM' && signal !== 'SIGINT') {
        log.debug({ pid: handle.pid, signal }, 'forwarding signal to workload');
        handle.signal(signal);
      } else if (handle.state === 'stopping') {
        log.warn({ pid: handle.pid, signal }, 'second stop signal during the grace period; sending SIGKILL');
        handle.kill();
      } else {
        void handle.stop(signal);
      }
    };
    listeners.set(signal, listener);
    process.on(signal, listener);
  }
  let closed = false;
  const forwarding: SignalForwarding = {
    close() {
      if (closed) return;
      closed = true;
      for (const [signal, listener] of listeners) process.off(signal, listener);
    },
  };
  void handle.exited.then(() => forwarding.close());
  return forwarding;
}
