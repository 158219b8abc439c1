// Our own Marathon labels: `SECRETS_AGENT_OPTIONAL` (comma-separated secret names that may be
// absent) and `SECRETS_AGENT_ON_CHANGE` (what the daemon does when a secret changes).
import { constants } from 'node:os';
import { quoteText } from './describe-json.js';
import type { AppDefIssue } from './issues.js';
import { appendJsonPointer } from './json-pointer.js';
import { getOwn, isJsonObject, reportWrongType } from './json-shape.js';
import type { SecretEntry } from './parse-secrets.js';
import type { OnChange } from './types.js';

export const optionalLabel = 'SECRETS_AGENT_OPTIONAL';
export const onChangeLabel = 'SECRETS_AGENT_ON_CHANGE';
export const defaultOnChange: OnChange = Object.freeze({ action: 'signal', signal: 'SIGHUP' });

/** A process cannot catch these, so they cannot ask it to reload; `restart` says what is meant. */
const uncatchableSignals = new Set(['SIGKILL', 'SIGSTOP']);

export interface AgentLabels {
  readonly optionalNames: readonly string[];
  readonly onChange: OnChange;
}

// Reads our labels from `labels`; other labels are Marathon's business and ignored.
export function parseAgentLabels(
  value: unknown,
  secrets: ReadonlyMap<string, SecretEntry>,
  issues: AppDefIssue[],
): AgentLabels {
  const result: AgentLabels = { optionalNames: [], onChange: defaultOnChange };
  if (value === undefined) return result;
  if (!isJsonObject(value)) {
    reportWrongType('an object', value, '/labels', issues);
    return result;
  }
  return {
    optionalNames: parseOptionalLabel(getOwn(value, optionalLabel), secrets, issues),
    onChange: parseOnChangeLabel(getOwn(value, onChangeLabel), issues),
  };
}

function parseOptionalLabel(
  value: unknown,
  secrets: ReadonlyMap<string, SecretEntry>,
  issues: AppDefIssue[],
): string[] {
  const pointer = appendJsonPointer('/labels', optionalLabel);
  if (value === undefined) return [];
  if (typeof value !== 'string') {
    reportWrongType('a string of comma-separated secret names', value, pointer, issues);
    return [];
  }
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  for (const name of names) {
    if (!secrets.has(name)) issues.push({ pointer, message: `names an undefined secret ${quoteText(name)}` });
  }
  return names.filter((name) => secrets.has(name));
}

// Parses `signal:SIGHUP` (the default), `restart` or `none`.
export function parseOnChangeText(text: string): OnChange | undefined {
  if (text === 'restart') return { action: 'restart' };
  if (text === 'none') return { action: 'none' };
  const signal = /^signal:(SIG[A-Z0-9]+)$/.exec(text)?.[1];
  if (signal === undefined || uncatchableSignals.has(signal) || !Object.hasOwn(constants.signals, signal))
    return undefined;
  return { action: 'signal', signal: signal as NodeJS.Signals };
}

function parseOnChangeLabel(value: unknown, issues: AppDefIssue[]): OnChange {
  const pointer = appendJsonPointer('/labels', onChangeLabel);
  if (value === undefined) return defaultOnChange;
  if (typeof value !== 'string') {
    reportWrongType('a string', value, pointer, issues);
    return defaultOnChange;
  }
  const parsed = parseOnChangeText(value.trim());
  if (parsed === undefined) {
    issues.push({
      pointer,
      message: `must be "signal:<NAME>" (default "signal:SIGHUP"; not SIGKILL or SIGSTOP), "restart" or "none", got ${quoteText(value)}`,
    });
    return defaultOnChange;
  }
  return parsed;
}

// The label's text form of an OnChange (`signal:SIGHUP`, `restart`, `none`).
export function formatOnChange(onChange: OnChange): string {
  return onChange.action === 'signal' ? `signal:${onChange.signal}` : onChange.action;
}
