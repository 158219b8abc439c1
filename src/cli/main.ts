#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { enableCompileCache } from './enable-compile-cache.js';
import { loadRunBundle } from './run-bundle-loader.js';

const argv = process.argv.slice(2);
// `run` wraps a workload's start, so its start-up time is the workload's: it loads one bundled
// file of its own modules with V8's code cache (run-bundle-loader.ts), not every command group's
// modules (the store server, openpgp, ...). Without a built bundle (src/ under tsx) it loads
// only its own command group.
const runBundle =
  argv[0] === 'run'
    ? loadRunBundle(fileURLToPath(new URL('run-bundle.cjs', import.meta.url)), { env: process.env })
    : undefined;

// The only place that sets the process exit code.
if (runBundle !== undefined) {
  process.exitCode = await runBundle.bundle.runFromBundle(argv, runBundle.warm);
} else {
  // Before the command's modules load, so they are compiled from the cache (Node >= 22.1).
  enableCompileCache(process.env);
  const [{ runCli }, { createProcessIo }] = await Promise.all([import('./run-cli.js'), import('./process-io.js')]);
  const groups =
    argv[0] === 'run' || argv[0] === 'explain' ? [(await import('./commands/run.js')).registerRunCommands] : undefined;
  process.exitCode = await runCli(argv, createProcessIo(), groups === undefined ? {} : { groups });
}
