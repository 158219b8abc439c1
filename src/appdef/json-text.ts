// JSON text to a value, with a line and column on failure. V8's own messages quote the text around
// the error, which could be a plain env value, so they are never shown: a small scanner finds the
// position and names only what was expected.
import { SecretsAgentError } from '../core/errors.js';

export interface JsonSyntaxError {
  /** UTF-16 offset of the problem. */
  readonly offset: number;
  readonly line: number;
  /** 1-based, in characters. */
  readonly column: number;
  readonly reason: string;
}

// Parses JSON text (a leading BOM is ignored); throws ERR_INPUT_INVALID with line and column.
export function parseJsonText(text: string, what: string): unknown {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  try {
    return JSON.parse(body);
  } catch {
    const found = locateJsonSyntaxError(body);
    const where =
      found === undefined ? 'at an unknown position' : `at line ${found.line}, column ${found.column}: ${found.reason}`;
    throw new SecretsAgentError('ERR_INPUT_INVALID', `${what} is not valid JSON ${where}`, {
      // No cause: V8's SyntaxError message quotes the text.
      details: found === undefined ? {} : { line: found.line, column: found.column, offset: found.offset },
    });
  }
}

type State = 'value' | 'firstValueOrEnd' | 'afterValue' | 'firstKeyOrEnd' | 'key' | 'colon';

// Finds the first syntax error in `text`, or undefined when it is valid JSON.
export function locateJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const containers: ('array' | 'object')[] = [];
  let state: State = 'value';
  let index = 0;
  const fail = (offset: number, reason: string): JsonSyntaxError => ({
    offset,
    reason,
    ...lineAndColumn(text, offset),
  });
  for (;;) {
    index = skipWhitespace(text, index);
    if (index >= text.length) {
      if (state === 'afterValue' && containers.length === 0) return undefined;
      return fail(index, 'unexpected end of input');
    }
    const char = text[index];
    const inside = containers.at(-1);
    switch (state) {
      case 'afterValue':
        if (inside === undefined) return fail(index, 'unexpected text after the end of the document');
        if (char === ',') {
          state = inside === 'array' ? 'value' : 'key';
          index += 1;
        } else if ((char === ']' && inside === 'array') || (char === '}' && inside === 'object')) {
          containers.pop();
          index += 1;
        } else {
          return fail(
            index,
            inside === 'array'
              ? 'expected "," or "]" after an array element'
              : 'expected "," or "}" after a property value',
          );
        }
        continue;
      case 'colon':
        if (char !== ':') return fail(index, 'expected ":" after a property name');
        state = 'value';
        index += 1;
        continue;
      case 'firstKeyOrEnd':
      case 'key':
        if (char === '}' && state === 'firstKeyOrEnd') {
          containers.pop();
          state = 'afterValue';
          index += 1;
          continue;
        }
        if (char !== '"')
          return fail(
            index,
            state === 'key'
              ? 'expected a property name in double quotes'
              : 'expected a property name in double quotes or "}"',
          );
        {
          const end = scanString(text, index);
          if (typeof end !== 'number') return fail(end.offset, end.reason);
          index = end;
        }
        state = 'colon';
        continue;
      case 'firstValueOrEnd':
        if (char === ']') {
          containers.pop();
          state = 'afterValue';
          index += 1;
          continue;
        }
        break;
      case 'value':
        break;
    }
    // A value starts here.
    if (char === '{' || char === '[') {
      containers.push(char === '{' ? 'object' : 'array');
      state = char === '{' ? 'firstKeyOrEnd' : 'firstValueOrEnd';
      index += 1;
      continue;
    }
    const end = scanScalar(text, index);
    if (typeof end !== 'number') return fail(end.offset, end.reason);
    index = end;
    state = 'afterValue';
  }
}

interface ScanFailure {
  readonly offset: number;
  readonly reason: string;
}

function skipWhitespace(text: string, start: number): number {
  let index = start;
  while (
    index < text.length &&
    (text[index] === ' ' || text[index] === '\t' || text[index] === '\n' || text[index] === '\r')
  )
    index += 1;
  return index;
}

function scanScalar(text: string, start: number): number | ScanFailure {
  const char = text[start];
  if (char === '"') return scanString(text, start);
  if (char === '-' || (char !== undefined && char >= '0' && char <= '9')) return scanNumber(text, start);
  for (const literal of ['true', 'false', 'null']) {
    if (text.startsWith(literal, start)) return start + literal.length;
  }
  return { offset: start, reason: 'expected a value (object, array, string, number, true, false or null)' };
}

function scanString(text: string, start: number): number | ScanFailure {
  let index = start + 1;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code === 0x22) return index + 1;
    if (code < 0x20) return { offset: index, reason: 'control character inside a string (escape it)' };
    if (code === 0x5c) {
      const next = text[index + 1];
      if (next === 'u') {
        if (!/^[0-9A-Fa-f]{4}$/.test(text.slice(index + 2, index + 6)))
          return { offset: index, reason: 'invalid \\u escape in a string' };
        index += 6;
        continue;
      }
      if (next === undefined || !'"\\/bfnrt'.includes(next))
        return { offset: index, reason: 'invalid escape in a string' };
      index += 2;
      continue;
    }
    index += 1;
  }
  return { offset: text.length, reason: 'unterminated string' };
}

const numberPattern = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

function scanNumber(text: string, start: number): number | ScanFailure {
  numberPattern.lastIndex = start;
  const match = numberPattern.exec(text);
  const end = match === null ? start : start + match[0].length;
  const next = text[end];
  // `01`, `1.`, `1e`, `-` and `1x` all stop the pattern short of a delimiter.
  if (match === null || (next !== undefined && !/[ \t\n\r,\]}]/.test(next)))
    return { offset: end, reason: 'invalid number' };
  return end;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let index = text.indexOf('\n'); index !== -1 && index < offset; index = text.indexOf('\n', index + 1)) {
    line += 1;
    lineStart = index + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
