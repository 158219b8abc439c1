import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { locateJsonSyntaxError, parseAppDefinitionText } from '../../src/appdef/index.js';
import { canaryValue } from '../helpers/canary.js';
import { catchAgentError } from './support/issues.js';

describe('parseAppDefinitionText: non-JSON input', () => {
  it.each([
    ['empty text', '', 1, 1, 'unexpected end of input'],
    ['only whitespace', ' \n ', 2, 2, 'unexpected end of input'],
    ['trailing comma', '{\n  "id": "/a",\n}', 3, 1, 'expected a property name in double quotes'],
    ['missing comma', '{\n  "id": "/a"\n  "cmd": "x"\n}', 3, 3, 'expected "," or "}" after a property value'],
    ['single quotes', "{'id': 1}", 1, 2, 'expected a property name in double quotes or "}"'],
    ['missing colon', '{"id" "/a"}', 1, 7, 'expected ":" after a property name'],
    ['unterminated string', '{"id": "/a', 1, 11, 'unterminated string'],
    ['raw newline in a string', '{"id": "a\nb"}', 1, 10, 'control character inside a string (escape it)'],
    ['bad escape', '{"id": "a\\x"}', 1, 10, 'invalid escape in a string'],
    ['bad unicode escape', '{"id": "\\u12G4"}', 1, 9, 'invalid \\u escape in a string'],
    ['leading zero', '{"cpus": 01}', 1, 11, 'invalid number'],
    ['bare minus', '[-]', 1, 2, 'invalid number'],
    ['unquoted word', '{"id": yes}', 1, 8, 'expected a value (object, array, string, number, true, false or null)'],
    ['array missing comma', '[1 2]', 1, 4, 'expected "," or "]" after an array element'],
    ['text after the document', '{} {}', 1, 4, 'unexpected text after the end of the document'],
    ['unclosed object', '{"env": {}', 1, 11, 'unexpected end of input'],
    ['CRLF lines', '{\r\n"a": 1,\r\n}', 3, 1, 'expected a property name in double quotes'],
  ])('%s', (_title, text, line, column, reason) => {
    const error = catchAgentError(() => parseAppDefinitionText(text, { source: 'app.json' }), 'ERR_INPUT_INVALID');
    expect(error.message).toBe(
      `App definition "app.json" is not valid JSON at line ${line}, column ${column}: ${reason}`,
    );
    expect(error.details).toMatchObject({ line, column });
    expect(error.exitCode).toBe(65);
  });

  it('never quotes the text around the error (V8 would), and keeps no cause that does', () => {
    const error = catchAgentError(
      () => parseAppDefinitionText(`{"env": {"A": "${canaryValue}" "B": 1}}`),
      'ERR_INPUT_INVALID',
    );
    expect(error.message).toBe(
      'App definition is not valid JSON at line 1, column 44: expected "," or "}" after a property value',
    );
    expect(error.message).not.toContain(canaryValue);
    expect(error.cause).toBeUndefined();
  });

  it('ignores a UTF-8 byte order mark', () => {
    expect(parseAppDefinitionText('\uFEFF{"id": "/a"}').id).toBe('/a');
  });
});

describe('locateJsonSyntaxError agrees with JSON.parse', () => {
  const examples = readdirSync(new URL('../../examples/', import.meta.url))
    .filter((name) => name.endsWith('.json'))
    .map((name) => readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8'));
  const samples = [
    ...examples,
    '{"a": [1, -2.5e+3, 0, 0.1, 1E9, true, false, null, "\\u00e9\\n\\"\\\\\\/"], "b": {}, "c": [], "d": [[{}]]}',
    '  "just a string"  ',
    '-0',
  ];

  it('finds no error in valid JSON', () => {
    for (const text of samples) expect(locateJsonSyntaxError(text)).toBeUndefined();
  });

  it('finds an error exactly when JSON.parse fails, for every one-character deletion and many insertions', () => {
    let disagreements = 0;
    let variants = 0;
    const check = (text: string): void => {
      variants += 1;
      let parses = true;
      try {
        JSON.parse(text);
      } catch {
        parses = false;
      }
      if (parses === (locateJsonSyntaxError(text) !== undefined)) disagreements += 1;
    };
    for (const text of samples) {
      for (let index = 0; index < text.length; index += 1) {
        check(text.slice(0, index) + text.slice(index + 1));
        for (const inserted of [',', '"', '}', ']', 'x', '0', '\\', '\n']) {
          if (index % 7 === 0) check(text.slice(0, index) + inserted + text.slice(index));
        }
      }
    }
    expect(variants).toBeGreaterThan(5000);
    expect(disagreements).toBe(0);
  });
});
