#!/usr/bin/env node
import { enableCompileCache } from './enable-compile-cache.js';
import type { CliIo } from './io.js';
import { runCli } from './run-cli.js';

// Before the command's modules load, so they are compiled from the cache (Node >= 22.1).
enableCompileCache(process.env);
const argv = process.argv.slice(2);
// `run` wraps a workload's start, so its start-up time is the workload's: it loads only its own
// command group, not every group's modules (the store server, openpgp, ...).
const groups =
  argv[0] === 'run' || argv[0] === 'explain' ? [(await import('./commands/run.js')).registerRunCommands] : undefined;

// The only place that sets the process exit code. `stderrFd` lets loggers write to fd 2
// synchronously, so no log line is lost when `run` replaces the process with its workload.
// stdin/stdout/stderr are getters: Node makes a pipe non-blocking once its stream is created, and
// a workload exec'd by `run` would inherit that; `run` creates them only to print a failure.
const io: CliIo = {
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
};
process.exitCode = await runCli(argv, io, groups === undefined ? {} : { groups });
