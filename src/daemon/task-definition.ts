// One definition file to everything the daemon needs to run it as a task: the delivery plan
// (src/appdef, spaces checked), the command, the user it runs as, and a fingerprint to tell a real
// change from a rewrite of the same bytes. Every problem is reported at once with its JSON pointer.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  defaultMaxDefinitionBytes,
  formatIssue,
  parseAppDefinitionText,
  type AppDefIssue,
  type DeliveryPlan,
} from '../appdef/index.js';
import { planFromDefinition } from '../agent/load-plan.js';
import { SecretsAgentError } from '../core/errors.js';
import { readTaskCommand, type TaskCommand } from './task-command.js';
import { readTaskUser, type TaskUser } from './task-user.js';

export interface TaskDefinition {
  /** The file name, e.g. `web.json`: the task's key. */
  readonly file: string;
  /** The Marathon id (`/group/app`), else the file name without `.json`. */
  readonly id: string;
  readonly plan: DeliveryPlan;
  readonly command: TaskCommand;
  /** Marathon's `user`: the task runs as it and owns its secret files. Undefined: the daemon's user. */
  readonly user: TaskUser | undefined;
  /** Hex SHA-256 of the file's bytes. */
  readonly fingerprint: string;
}

/** Definition files the daemon reads: `*.json`, not hidden (editors' and writers' temp files). */
export function isDefinitionFileName(name: string): boolean {
  return name.endsWith('.json') && !name.startsWith('.');
}

// Reads and validates `path`; ERR_APPDEF_INVALID (issues with pointers), ERR_INPUT_INVALID
// (not JSON, with line and column; too large) or ERR_USAGE (unreadable, e.g. gone meanwhile).
export async function loadTaskDefinition(path: string): Promise<TaskDefinition> {
  const text = await readDefinitionText(path);
  const definition = parseAppDefinitionText(text, { source: path });
  const root = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text) as unknown;
  const issues: AppDefIssue[] = [];
  const { command, containerName, containerIndex } = readTaskCommand(root, issues);
  const user = readTaskUser(root, containerIndex, issues);
  if (issues.length > 0 || command === undefined) throw invalid(path, issues);
  const plan = planFromDefinition(definition, containerName === undefined ? {} : { containerName });
  const file = basename(path);
  return Object.freeze({
    file,
    id: definition.id ?? file.replace(/\.json$/, ''),
    plan,
    command,
    user,
    fingerprint: createHash('sha256').update(text).digest('hex'),
  });
}

// One read (size-capped, strict UTF-8), so the plan, the command and the fingerprint agree.
async function readDefinitionText(path: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'read error';
    throw new SecretsAgentError('ERR_USAGE', `Cannot read task definition \`${path}\`: ${code}`, {
      details: { file: path },
      cause: error,
    });
  }
  if (bytes.length > defaultMaxDefinitionBytes) {
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `Task definition \`${path}\` has ${bytes.length} bytes, more than ${defaultMaxDefinitionBytes}`,
      { details: { file: path } },
    );
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SecretsAgentError('ERR_INPUT_INVALID', `Task definition \`${path}\` is not valid UTF-8`, {
      details: { file: path },
    });
  }
}

function invalid(path: string, issues: readonly AppDefIssue[]): SecretsAgentError {
  const lines = issues.map(formatIssue);
  return new SecretsAgentError(
    'ERR_APPDEF_INVALID',
    `Task definition \`${path}\` is invalid (${issues.length === 1 ? '1 issue' : `${issues.length} issues`}):\n${lines.join('\n')}`,
    {
      details: { file: path, issues: issues.map((issue) => ({ pointer: issue.pointer, message: issue.message })) },
    },
  );
}
