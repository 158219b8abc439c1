// `env` (apps, LegacyEnvVars) and `environment` (pods, EnvVars): each value is a plain string or a
// reference `{"secret": "<name>"}` to an entry of `secrets`.
import { describeEnvNameProblem, type EnvNameRule } from './env-name.js';
import type { AppDefIssue } from './issues.js';
import { appendJsonPointer } from './json-pointer.js';
import { describeJsonType } from './describe-json.js';
import { isJsonObject, readRequiredString, reportUnknownFields, reportWrongType } from './json-shape.js';
import type { SecretEntry } from './parse-secrets.js';
import type { EnvironmentDefinition, PlainEnvVar, SecretEnvVar } from './types.js';

export interface EnvironmentRules {
  readonly plainNames: EnvNameRule;
  readonly secretNames: EnvNameRule;
}

// Reads one environment map; values are checked by type only and never quoted.
export function parseEnvironment(
  value: unknown,
  pointer: string,
  rules: EnvironmentRules,
  secrets: ReadonlyMap<string, SecretEntry>,
  issues: AppDefIssue[],
): EnvironmentDefinition {
  const plain: PlainEnvVar[] = [];
  const secretVars: SecretEnvVar[] = [];
  if (value === undefined) return { plain, secrets: secretVars };
  if (!isJsonObject(value)) {
    reportWrongType('an object', value, pointer, issues);
    return { plain, secrets: secretVars };
  }
  // Indexed, no destructuring: V8's interpreter allocates iterator results for both (json-pointer.ts).
  const names = Object.keys(value);
  for (let index = 0; index < names.length; index += 1) {
    const name = names[index] as string;
    const entry = value[name];
    const entryPointer = appendJsonPointer(pointer, name);
    if (typeof entry === 'string') {
      const problem = describeEnvNameProblem(name, rules.plainNames);
      if (problem === undefined) plain.push({ name, value: entry, pointer: entryPointer });
      else issues.push({ pointer: entryPointer, message: problem });
      continue;
    }
    if (!isJsonObject(entry)) {
      issues.push({
        pointer: entryPointer,
        message: `must be a string or {"secret": "<name>"}, got ${describeJsonType(entry)}`,
      });
      continue;
    }
    const nameProblem = describeEnvNameProblem(name, rules.secretNames);
    if (nameProblem !== undefined) issues.push({ pointer: entryPointer, message: nameProblem });
    reportUnknownFields(entry, ['secret'], entryPointer, issues);
    const secretName = readRequiredString(entry, 'secret', entryPointer, issues);
    if (secretName === undefined) continue;
    if (!secrets.has(secretName)) {
      // Marathon's wording and pointer (EnvVarValidation, AppsResourceTest: `/env/NAMED_FOO/secret`).
      issues.push({ pointer: appendJsonPointer(entryPointer, 'secret'), message: 'references an undefined secret' });
      continue;
    }
    if (nameProblem === undefined) secretVars.push({ name, secretName, pointer: entryPointer });
  }
  return { plain, secrets: secretVars };
}
