// Entry of the `run` bundle (dist/src/cli/run-bundle.cjs, see run-bundle-loader.ts): `run` and
// its modules only, in one CommonJS file that V8 can cache compiled.
import { registerRunCommands } from './commands/run.js';
import type { CliIo } from './io.js';
import { createProcessIo } from './process-io.js';
import { runCli } from './run-cli.js';

// Runs `secrets-agent run ...` and resolves with the exit code; main.ts sets it.
export function runFromBundle(argv: readonly string[], warm?: () => void): Promise<number> {
  const extra: Pick<CliIo, 'warm'> = warm === undefined ? {} : { warm };
  return runCli([...argv], createProcessIo(extra), { groups: [registerRunCommands] });
}
