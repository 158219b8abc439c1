import type { CliIo } from './io.js';

// The process's own io for a command. stdin/stdout/stderr are getters: Node makes a pipe
// non-blocking once its stream is created, and a workload exec'd by `run` would inherit that;
// `run` creates them only to print a failure. `stderrFd` lets loggers write to fd 2
// synchronously, so no log line is lost when `run` replaces the process with its workload.
export function createProcessIo(extra: Pick<CliIo, 'warm'> = {}): CliIo {
  return {
    get stdin() {
      return process.stdin;
    },
    get stdout() {
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
    env: process.env,
    cwd: process.cwd(),
    stderrFd: 2,
    ...extra,
  };
}
