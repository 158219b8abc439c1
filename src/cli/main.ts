#!/usr/bin/env node
// The full CLI, as an ES module: every command, with yargs for options, help and usage errors.
// The `secrets-agent` executable (launch.ts) comes here for every command but `run` in its common
// shape, which it runs from its own bundle; `node dist/src/cli/main.js ...` works as well.
import { enableCompileCache } from './enable-compile-cache.js';

// Before the command's modules load, so they are compiled from the cache (Node >= 22.1).
enableCompileCache(process.env);
const argv = process.argv.slice(2);
const [{ runCli }, { createProcessIo }] = await Promise.all([import('./run-cli.js'), import('./process-io.js')]);
const groups =
  argv[0] === 'run' || argv[0] === 'explain'
    ? [(await import('./commands/run.js')).registerRunCommands]
    : (await import('./commands/index.js')).commandGroups;
// With launch.ts, the only place that sets the process exit code.
process.exitCode = await runCli(argv, createProcessIo(), { groups });
