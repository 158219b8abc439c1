// The `secrets` map of an app or pod: name -> {"source": "<secret path>"} (Marathon SecretDef, closed).
import { describeSecretSourceProblem } from './secret-source.js';
import type { AppDefIssue } from './issues.js';
import { appendJsonPointer } from './json-pointer.js';
import { isJsonObject, readRequiredString, reportUnknownFields, reportWrongType } from './json-shape.js';

export interface SecretEntry {
  readonly name: string;
  /** Undefined when the entry is invalid (an issue says why); the name still counts as defined. */
  readonly source: string | undefined;
  readonly pointer: string;
}

// Reads `secrets`; every key counts as defined, so a bad entry is reported once, not at each use.
export function parseSecrets(value: unknown, issues: AppDefIssue[]): Map<string, SecretEntry> {
  const secrets = new Map<string, SecretEntry>();
  if (value === undefined) return secrets;
  if (!isJsonObject(value)) {
    reportWrongType('an object', value, '/secrets', issues);
    return secrets;
  }
  // Indexed, no destructuring: V8's interpreter allocates iterator results for both (json-pointer.ts).
  const names = Object.keys(value);
  for (let index = 0; index < names.length; index += 1) {
    const name = names[index] as string;
    const entry = value[name];
    const pointer = appendJsonPointer('/secrets', name);
    const sourcePointer = appendJsonPointer(pointer, 'source');
    if (name === '') issues.push({ pointer, message: 'must not be empty' });
    if (!isJsonObject(entry)) {
      reportWrongType('an object like {"source": "<secret path>"}', entry, pointer, issues);
      secrets.set(name, { name, source: undefined, pointer: sourcePointer });
      continue;
    }
    reportUnknownFields(entry, ['source'], pointer, issues);
    let source = readRequiredString(entry, 'source', pointer, issues);
    const problem = source === undefined ? undefined : describeSecretSourceProblem(source);
    if (problem !== undefined) {
      issues.push({ pointer: sourcePointer, message: problem });
      source = undefined;
    }
    secrets.set(name, { name, source, pointer: sourcePointer });
  }
  return secrets;
}
