// A Marathon app or pod definition (already-parsed JSON) to the typed AppDefinition, collecting
// every issue before throwing ERR_APPDEF_INVALID.
import { SecretsAgentError } from '../core/errors.js';
import { parseAgentLabels } from './agent-labels.js';
import { describeJsonType, quoteText } from './describe-json.js';
import { assertNoAppDefIssues, type AppDefIssue } from './issues.js';
import { parseJsonText } from './json-text.js';
import { getOwn, isJsonObject, reportWrongType, type JsonObject } from './json-shape.js';
import { formatMarathonId, parseMarathonIdSegments } from './marathon-id.js';
import { parseAppParts } from './parse-app.js';
import { parsePodParts } from './parse-pod.js';
import { parseSecrets, type SecretEntry } from './parse-secrets.js';
import type { AppDefinition, SecretDefinition } from './types.js';

export interface ParseAppDefinitionOptions {
  /** Secret names (keys of `secrets`) that may be absent from the store, e.g. from `--optional`. */
  optional?: readonly string[];
  /** Names the input in messages, e.g. the file path. */
  source?: string;
}

// Validates a parsed definition (`containers` present means a pod) and returns its typed form.
export function parseAppDefinition(input: unknown, options: ParseAppDefinitionOptions = {}): AppDefinition {
  const optionalOption = readOptionalOption(options.optional);
  const issues: AppDefIssue[] = [];
  if (!isJsonObject(input)) {
    reportWrongType('a JSON object', input, '', issues);
    assertNoAppDefIssues(issues, `${describeInput('App', options.source)} is invalid`);
  }
  const root = input as JsonObject;
  const kind = Object.hasOwn(root, 'containers') ? 'pod' : 'app';
  const id = parseId(getOwn(root, 'id'), issues);
  const entries = parseSecrets(getOwn(root, 'secrets'), issues);
  const parts = kind === 'pod' ? parsePodParts(root, entries, issues) : parseAppParts(root, entries, issues);
  const labels = parseAgentLabels(getOwn(root, 'labels'), entries, issues);
  assertNoAppDefIssues(issues, `${describeInput(kind === 'pod' ? 'Pod' : 'App', options.source)} is invalid`);
  assertOptionalNamesDefined(optionalOption, entries);
  const optional = new Set([...optionalOption, ...labels.optionalNames]);
  const secrets = toSecretDefinitions(entries, optional);
  const common = { id, secrets, onChange: labels.onChange };
  if ('containers' in parts)
    return deepFreeze({ kind: 'pod', ...common, env: parts.env, containers: parts.containers });
  return deepFreeze({ kind: 'app', ...common, env: parts.env, files: parts.files });
}

// JSON text to an AppDefinition: ERR_INPUT_INVALID (with line and column) when it is not JSON.
export function parseAppDefinitionText(text: string, options: ParseAppDefinitionOptions = {}): AppDefinition {
  return parseAppDefinition(parseJsonText(text, describeInput('App definition', options.source, '')), options);
}

function describeInput(kind: string, source: string | undefined, suffix = ' definition'): string {
  return source === undefined ? `${kind}${suffix}` : `${kind}${suffix} ${quoteText(source)}`;
}

function parseId(value: unknown, issues: AppDefIssue[]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    reportWrongType('a string', value, '/id', issues);
    return undefined;
  }
  const parsed = parseMarathonIdSegments(value);
  if (!parsed.ok) {
    issues.push({ pointer: '/id', message: parsed.problem });
    return undefined;
  }
  return formatMarathonId(parsed.segments);
}

function readOptionalOption(value: unknown): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((name) => typeof name === 'string')) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`optional\` to be an array of secret names, got ${describeJsonType(value)}`,
      {
        details: { option: 'optional' },
      },
    );
  }
  return value as readonly string[];
}

function assertOptionalNamesDefined(names: readonly string[], entries: ReadonlyMap<string, SecretEntry>): void {
  const unknown = names.filter((name) => !entries.has(name));
  if (unknown.length === 0) return;
  const defined = [...entries.keys()].map(quoteText).join(', ') || 'none';
  throw new SecretsAgentError(
    'ERR_USAGE',
    `Expected \`optional\` to name secrets of the definition, got ${unknown.map(quoteText).join(', ')}; defined: ${defined}`,
    { details: { option: 'optional', unknown, defined: [...entries.keys()] } },
  );
}

function toSecretDefinitions(
  entries: ReadonlyMap<string, SecretEntry>,
  optional: ReadonlySet<string>,
): ReadonlyMap<string, SecretDefinition> {
  const secrets = new Map<string, SecretDefinition>();
  for (const entry of entries.values()) {
    // Every entry has a valid source here: an invalid one was an issue, and issues have thrown.
    if (entry.source === undefined) continue;
    secrets.set(
      entry.name,
      Object.freeze({
        name: entry.name,
        source: entry.source,
        optional: optional.has(entry.name),
        pointer: entry.pointer,
      }),
    );
  }
  return secrets;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !(value instanceof Map) && !Object.isFrozen(value)) {
    Object.freeze(value);
    // for-in, not for-of over Object.values: no array and no iterator results per object, on
    // `run`'s start-up path (json-pointer.ts). Parsed JSON has no inherited enumerable keys.
    for (const key in value) deepFreeze(value[key]);
  }
  return value;
}
