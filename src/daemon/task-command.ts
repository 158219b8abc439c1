// What a task runs, read from its definition the way Marathon names it (docs/wire-formats.md#task-commands):
// - app `cmd` (a string): run by `/bin/sh -c`, as Mesos' command executor does;
// - app `args` (an array of strings, no `cmd`): exec'd directly, args[0] is the program;
// - pod container `exec.command.shell` (string, via `/bin/sh -c`) or `exec.command.argv` (array).
// A pod task is one container: the pod's `SECRETS_AGENT_CONTAINER` label names it, or the pod has
// exactly one container.
import { formatJsonPointer, type AppDefIssue } from '../appdef/index.js';

export const containerLabel = 'SECRETS_AGENT_CONTAINER';
const shell = '/bin/sh';

export interface TaskCommand {
  readonly command: string;
  readonly args: readonly string[];
}

export interface TaskCommandResult {
  readonly command: TaskCommand | undefined;
  /** The pod container the task runs; undefined for apps. */
  readonly containerName: string | undefined;
  /** Its index in `containers` (for pointers into it); undefined for apps. */
  readonly containerIndex?: number;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

// Reads the command (and for pods the container) from the parsed definition; issues name pointers.
export function readTaskCommand(root: unknown, issues: AppDefIssue[]): TaskCommandResult {
  if (!isObject(root)) return { command: undefined, containerName: undefined };
  if (Object.hasOwn(root, 'containers')) return readPodCommand(root, issues);
  const cmd = root['cmd'];
  const args = root['args'];
  if (cmd !== undefined && args !== undefined) {
    issues.push({
      pointer: '/args',
      message:
        "must not be given together with `cmd` (Marathon: \"AppDefinition must either contain one of 'cmd' or 'args'\")",
    });
    return { command: undefined, containerName: undefined };
  }
  if (cmd !== undefined) {
    if (typeof cmd !== 'string' || cmd.trim() === '') {
      issues.push({ pointer: '/cmd', message: 'must be a non-empty string (run by /bin/sh -c)' });
      return { command: undefined, containerName: undefined };
    }
    return { command: { command: shell, args: ['-c', cmd] }, containerName: undefined };
  }
  if (args !== undefined) {
    if (!isStringArray(args) || args.length === 0 || args[0] === '') {
      issues.push({ pointer: '/args', message: 'must be a non-empty array of strings, the program first' });
      return { command: undefined, containerName: undefined };
    }
    return { command: { command: args[0] as string, args: args.slice(1) }, containerName: undefined };
  }
  issues.push({
    pointer: '',
    message: 'a daemon task needs `cmd` (a shell command) or `args` (program and arguments)',
  });
  return { command: undefined, containerName: undefined };
}

function readPodCommand(root: Json, issues: AppDefIssue[]): TaskCommandResult {
  const containers = Array.isArray(root['containers']) ? root['containers'] : [];
  const labels = isObject(root['labels']) ? root['labels'] : {};
  const wanted = labels[containerLabel];
  let index: number;
  if (wanted !== undefined) {
    index =
      typeof wanted === 'string'
        ? containers.findIndex((container) => isObject(container) && container['name'] === wanted)
        : -1;
    if (index === -1) {
      issues.push({
        pointer: formatJsonPointer(['labels', containerLabel]),
        message: "must name one of the pod's containers",
      });
      return { command: undefined, containerName: undefined };
    }
  } else if (containers.length === 1) {
    index = 0;
  } else {
    issues.push({
      pointer: '/containers',
      message: `a pod with ${containers.length} containers needs the label ${containerLabel} naming the one this task runs`,
    });
    return { command: undefined, containerName: undefined };
  }
  const container = containers[index] as Json;
  const containerName = typeof container['name'] === 'string' ? container['name'] : undefined;
  const pointer = formatJsonPointer(['containers', index, 'exec', 'command']);
  const exec = container['exec'];
  const command = isObject(exec) ? exec['command'] : undefined;
  if (isObject(command) && typeof command['shell'] === 'string' && command['shell'].trim() !== '') {
    return { command: { command: shell, args: ['-c', command['shell']] }, containerName, containerIndex: index };
  }
  if (isObject(command) && isStringArray(command['argv']) && command['argv'].length > 0 && command['argv'][0] !== '') {
    const argv = command['argv'];
    return { command: { command: argv[0] as string, args: argv.slice(1) }, containerName, containerIndex: index };
  }
  issues.push({ pointer, message: 'must be {"shell": "<command>"} or {"argv": ["<program>", ...]}' });
  return { command: undefined, containerName };
}
