// Narrowing helpers for parsed JSON: own properties only, so `{"secret": "toString"}` or a key
// named `__proto__` never reaches Object.prototype.
import { describeJsonType, quoteText } from './describe-json.js';
import type { AppDefIssue } from './issues.js';
import { appendJsonPointer } from './json-pointer.js';

export type JsonObject = Readonly<Record<string, unknown>>;

// A JSON object: not null, not an array.
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// The own property `key`, or undefined when absent.
export function getOwn(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

// Reports each field of `object` that a closed Marathon schema does not allow, naming it.
export function reportUnknownFields(
  object: JsonObject,
  allowed: readonly string[],
  pointer: string,
  issues: AppDefIssue[],
): void {
  // for-in: this runs for every env var and secret, and for-of over Object.keys would allocate
  // an array and an iterator result per key (see appendJsonPointer).
  for (const key in object) {
    if (allowed.includes(key) || !Object.hasOwn(object, key)) continue;
    issues.push({
      pointer: appendJsonPointer(pointer, key),
      message: `unknown field ${quoteText(key)} (allowed: ${allowed.join(', ')})`,
    });
  }
}

// `must be an object, got an array`, for a known structure of the wrong type.
export function reportWrongType(expected: string, value: unknown, pointer: string, issues: AppDefIssue[]): void {
  issues.push({ pointer, message: `must be ${expected}, got ${describeJsonType(value)}` });
}

// Reads a required non-empty string field; reports and returns undefined otherwise.
export function readRequiredString(
  object: JsonObject,
  key: string,
  pointer: string,
  issues: AppDefIssue[],
): string | undefined {
  const value = Object.hasOwn(object, key) ? object[key] : undefined;
  if (typeof value === 'string' && value !== '') return value;
  // The pointer is built only for an issue: this runs for every env var and secret.
  const fieldPointer = appendJsonPointer(pointer, key);
  if (!Object.hasOwn(object, key)) issues.push({ pointer: fieldPointer, message: 'is required' });
  else if (typeof value !== 'string') reportWrongType('a string', value, fieldPointer, issues);
  else issues.push({ pointer: fieldPointer, message: 'must not be empty' });
  return undefined;
}
