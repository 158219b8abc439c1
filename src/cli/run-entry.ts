// Entry of the `run` bundle (dist/src/cli/run-bundle.cjs, see run-bundle-loader.ts): `run` in its
// common shape and the modules it needs, in one CommonJS file that V8 can cache compiled. No
// yargs: help, usage errors and anything unusual about the argv go to the full CLI (main.ts).
import { parseRunArgv, runCommand } from './commands/run.js';
import { createProcessIo } from './process-io.js';
import { reportFailure } from './report-failure.js';

// Runs `secrets-agent run ...` and resolves with the exit code, which the caller sets; undefined
// when the argv is not the common shape parseRunArgv reads (the caller then hands it to main.ts).
export async function runFromBundle(argv: readonly string[], warm?: () => void): Promise<number | undefined> {
  const parsed = parseRunArgv(argv);
  if (parsed === undefined) return undefined;
  const io = createProcessIo(warm === undefined ? {} : { warm });
  try {
    return await runCommand(parsed, io);
  } catch (error) {
    return reportFailure(error, io);
  }
}
