import type { Argv } from 'yargs';
import type { CliIo, CommandResult } from '../io.js';
import { registerDaemonCommands } from './daemon.js';
import { registerRunCommands } from './run.js';
import { registerStoreCommands } from './store.js';
import { registerIamCommands } from './iam.js';
import { registerSecretCommands } from './secret.js';
import { registerLoginCommands } from './login.js';
import { registerStatusCommands } from './status.js';

// Registers one group of commands on the parser. Each group lives in its own file.
export type RegisterCommands = (parser: Argv, io: CliIo, result: CommandResult) => Argv;

export const commandGroups: readonly RegisterCommands[] = [
  registerStoreCommands,
  registerSecretCommands,
  registerLoginCommands,
  registerStatusCommands,
  registerRunCommands,
  registerDaemonCommands,
  registerIamCommands,
];
