import type { Argv } from 'yargs';
import type { CliIo, CommandResult } from '../io.js';
import { registerStoreCommands } from './store.js';

// Registers one group of commands on the parser. Each group lives in its own file.
export type RegisterCommands = (parser: Argv, io: CliIo, result: CommandResult) => Argv;

export const commandGroups: readonly RegisterCommands[] = [registerStoreCommands];
