#!/usr/bin/env node
import { runCli } from './run-cli.js';

// The only place that sets the process exit code.
const exitCode = await runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = exitCode;
