import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadConfig } from '../../src/config/load-config.js';
import type { OptionSpecs } from '../../src/config/option-spec.js';
import { isSecretsAgentError } from '../../src/core/errors.js';

const specs = {
  listen: { type: 'string', env: 'TEST_LISTEN', default: '127.0.0.1:8200', description: 'address' },
  timeoutMs: {
    type: 'integer',
    env: 'TEST_TIMEOUT_MS',
    default: 1000,
    description: 'timeout',
    check: (value: unknown) =>
      typeof value === 'number' && value >= 0
        ? undefined
        : `Expected \`timeoutMs\` to be a non-negative integer, got \`${String(value)}\` (number)`,
  },
  allowDisk: { type: 'boolean', env: 'TEST_ALLOW_DISK', default: false, description: 'disk' },
  optional: { type: 'string-list', env: 'TEST_OPTIONAL', description: 'names' },
} as const satisfies OptionSpecs;

function writeConfig(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'config-test-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, content);
  return file;
}

describe('loadConfig', () => {
  it('layers defaults < file < env < flags and records where each value came from', () => {
    const file = writeConfig(JSON.stringify({ listen: '0.0.0.0:1', timeoutMs: 5, allowDisk: true }));
    const config = loadConfig({
      specs,
      file,
      env: { TEST_TIMEOUT_MS: '7', TEST_OPTIONAL: 'a, b' },
      flags: { timeoutMs: 9 },
    });
    expect(config.listen).toBe('0.0.0.0:1');
    expect(config.timeoutMs).toBe(9);
    expect(config.allowDisk).toBe(true);
    expect(config.optional).toEqual(['a', 'b']);
    expect(config.sources).toEqual({ listen: 'file', timeoutMs: 'flag', allowDisk: 'file', optional: 'env' });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('uses defaults when nothing else is given and leaves undefaulted options unset', () => {
    const config = loadConfig({ specs, env: {} });
    expect(config.listen).toBe('127.0.0.1:8200');
    expect(config.optional).toBeUndefined();
  });

  it('reports every problem at once, naming the file pointer, variable or flag', () => {
    const file = writeConfig(JSON.stringify({ listen: 5, bogus: true }));
    let caught: unknown;
    try {
      loadConfig({ specs, file, env: { TEST_ALLOW_DISK: 'maybe' }, flags: { timeoutMs: -1 } });
    } catch (error) {
      caught = error;
    }
    expect(isSecretsAgentError(caught, 'ERR_CONFIG_INVALID')).toBe(true);
    const message = (caught as Error).message;
    expect(message).toContain(`${file}#/listen: Expected a string, got \`5\` (number)`);
    expect(message).toContain(`${file}#/bogus: unknown option`);
    expect(message).toContain('TEST_ALLOW_DISK: Expected a boolean, got `"maybe"` (string)');
    expect(message).toContain('--timeout-ms: Expected `timeoutMs` to be a non-negative integer, got `-1` (number)');
  });

  it('rejects a config file that is not JSON or not an object', () => {
    expect(() => loadConfig({ specs, file: writeConfig('{nope') })).toThrow(/is not valid JSON/);
    expect(() => loadConfig({ specs, file: writeConfig('[1]') })).toThrow(/must hold a JSON object, got an array of 1/);
    expect(() => loadConfig({ specs, file: '/nonexistent/config.json' })).toThrow(/cannot read config file/);
  });
});
