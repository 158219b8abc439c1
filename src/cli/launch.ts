#!/usr/bin/env node
// The `secrets-agent` executable (package.json `bin`), built by `npm run build` into one CommonJS
// file, dist/src/cli/secrets-agent.cjs (scripts/build-run-bundle.mjs). A CommonJS entry starts
// about 4 ms sooner than an ES module one (Node sets up no ES module loader for it), and `run`
// wraps a workload's start, so its start-up is the workload's: `run` loads its own bundle with
// V8's code cache (run-bundle-loader.ts) and never touches the ES module loader on its common
// path. Every other command, `run --help` and usage errors, and `run` without a built bundle
// (src/ under tsx) go to main.ts.
import { fileURLToPath } from 'node:url';
import { loadRunBundle } from './run-bundle-loader.js';

const argv = process.argv.slice(2);
const runBundle =
  argv[0] === 'run'
    ? loadRunBundle(fileURLToPath(new URL('run-bundle.cjs', import.meta.url)), { env: process.env })
    : undefined;

// No top-level await: this file is CommonJS once built. Neither promise rejects: the bundle and
// runCli turn every failure into an exit code.
function runFullCli(): void {
  // main.ts is not bundled into this file (the build keeps it external); it sets the exit code.
  void import('./main.js');
}

if (runBundle === undefined) {
  runFullCli();
} else {
  void runBundle.bundle.runFromBundle(argv, runBundle.warm).then((code) => {
    if (code === undefined) runFullCli();
    // With main.ts, the only place that sets the process exit code.
    else process.exitCode = code;
  });
}
