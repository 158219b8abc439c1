#!/usr/bin/env node
import { runCli } from './run-cli.js';

const argv = process.argv.slice(2);
// `run` wraps a workload's start, so its start-up time is the workload's: it loads only its own
// command group, not every group's modules (the store server, openpgp, ...).
const groups = argv[0] === 'run' || argv[0] === 'explain' ? [(await import('./commands/run.js')).registerRunCommands] : undefined;

// The only place that sets the process exit code. `stderrFd` lets loggers write to fd 2
// synchronously, so no log line is lost when `run` replaces the process with its workload.
const exitCode = await runCli(argv, {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  stderrFd: 2,
}, groups === undefined ? {} : { groups });
process.exitCode = exitCode;
