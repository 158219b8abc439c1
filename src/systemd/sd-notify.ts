// sd_notify(3) for Type=notify units: READY=1, STATUS=..., RELOADING=1, STOPPING=1, WATCHDOG=1.
//
// Why a child process: node:dgram speaks only UDP (udp4/udp6), not AF_UNIX datagrams, and the npm
// packages that do (unix-dgram, sd-notify) are native addons that need a compiler, or libsystemd
// headers, wherever the agent is installed. Every host that sets $NOTIFY_SOCKET runs systemd and
// therefore has `systemd-notify`. Run as root (the agent unit is), systemd-notify sends with the
// credentials of its *parent* (our pid; faking SCM_CREDENTIALS needs CAP_SYS_ADMIN), so the unit's
// `NotifyAccess=main` accepts it and there is no race with the short-lived child exiting first.
// Without that capability the message carries systemd-notify's own pid: such units need
// `NotifyAccess=all`. Notifications are rare (start, reload, stop, a watchdog ping every
// WatchdogSec/2), so a process per message costs nothing that matters.
import { execFile } from 'node:child_process';
import type { Logger } from '../core/log.js';
import { SecretsAgentError } from '../core/errors.js';

/** Variables systemd sets for the notification protocol; a daemon should not pass them to its tasks. */
export const notifyEnvVars = ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID'] as const;

export type NotifyMessage = string | Readonly<Record<string, string | number>>;

export interface NotifySystemdOptions {
  /** Where NOTIFY_SOCKET is read from. Default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly log?: Logger;
  /** Default `systemd-notify` (looked up in /usr/bin, /bin, then PATH). */
  readonly command?: string;
  /** Default 5000. */
  readonly timeoutMs?: number;
}

const defaultTimeoutMs = 5000;
const searchPath = '/usr/bin:/bin:/usr/sbin:/sbin';

// Sends are chained so the service manager sees them in call order (READY before STOPPING).
let queue: Promise<unknown> = Promise.resolve();

// Sends one notification to the service manager. Resolves true when sent, false when not running
// under a Type=notify unit ($NOTIFY_SOCKET unset) or when sending failed (logged; never thrown,
// as with sd_notify: a missed STATUS= must not stop the daemon).
export function notifySystemd(message: NotifyMessage, options: NotifySystemdOptions = {}): Promise<boolean> {
  const env = options.env ?? process.env;
  const socket = env['NOTIFY_SOCKET'];
  const assignments = toAssignments(message);
  if (socket === undefined || socket === '') return Promise.resolve(false);
  const send = queue.then(() => sendWithCommand(socket, assignments, options));
  queue = send.catch(() => undefined);
  return send;
}

function sendWithCommand(
  socket: string,
  assignments: readonly string[],
  options: NotifySystemdOptions,
): Promise<boolean> {
  const command = options.command ?? 'systemd-notify';
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  return new Promise((resolve) => {
    // A minimal environment: the child needs the socket and nothing else of ours.
    const childEnv = { NOTIFY_SOCKET: socket, PATH: `${searchPath}:${process.env['PATH'] ?? ''}` };
    execFile(
      command,
      ['--', ...assignments],
      { env: childEnv, timeout: timeoutMs, killSignal: 'SIGKILL' },
      (error, _stdout, stderr) => {
        if (error === null) {
          resolve(true);
          return;
        }
        options.log?.warn(
          {
            err: { code: (error as NodeJS.ErrnoException).code, message: error.message },
            stderr: stderr.trim().slice(0, 500),
            variables: assignments.map(nameOf),
          },
          'sd_notify failed',
        );
        resolve(false);
      },
    );
  });
}

// `{READY: 1, STATUS: 'x'}` or `'READY=1\nSTATUS=x'` → ['READY=1', 'STATUS=x'], validated.
function toAssignments(message: NotifyMessage): string[] {
  const lines =
    typeof message === 'string'
      ? message.split('\n').filter((line) => line !== '')
      : Object.entries(message).map(([name, value]) => `${name}=${String(value)}`);
  if (lines.length === 0)
    throw new SecretsAgentError('ERR_INTERNAL', 'Expected `message` to hold at least one VARIABLE=VALUE, got nothing');
  for (const line of lines) {
    if (!/^[A-Z_][A-Z0-9_]*=/.test(line) || line.includes('\0') || line.includes('\n')) {
      throw new SecretsAgentError(
        'ERR_INTERNAL',
        `Expected each sd_notify line to be VARIABLE=VALUE on one line, got ${JSON.stringify(nameOf(line))}`,
      );
    }
  }
  return lines;
}

function nameOf(assignment: string): string {
  const index = assignment.indexOf('=');
  return index < 0 ? assignment.slice(0, 40) : assignment.slice(0, index);
}

export interface SystemdWatchdog {
  /** Ping interval in ms, or undefined when no watchdog is configured for this process. */
  readonly intervalMs: number | undefined;
  close(): void;
}

// Pings WATCHDOG=1 every WatchdogSec/2 when the unit sets WatchdogSec= for this process. The timer
// runs on the event loop, so a loop blocked for longer than WatchdogSec gets the daemon restarted.
export function startSystemdWatchdog(options: NotifySystemdOptions = {}): SystemdWatchdog {
  const env = options.env ?? process.env;
  const intervalMs = watchdogIntervalMs(env);
  if (intervalMs === undefined) return { intervalMs, close: () => undefined };
  const ping = (): void => void notifySystemd('WATCHDOG=1', options);
  ping();
  const timer = setInterval(ping, intervalMs);
  timer.unref();
  return { intervalMs, close: () => clearInterval(timer) };
}

// Half of WATCHDOG_USEC, when set and meant for this pid (WATCHDOG_PID absent or ours).
export function watchdogIntervalMs(
  env: Readonly<Record<string, string | undefined>>,
  pid = process.pid,
): number | undefined {
  const usec = env['WATCHDOG_USEC'];
  if (usec === undefined || !/^[1-9][0-9]*$/.test(usec)) return undefined;
  const forPid = env['WATCHDOG_PID'];
  if (forPid !== undefined && forPid !== '' && forPid !== String(pid)) return undefined;
  return Math.max(1, Math.floor(Number(usec) / 2000));
}
