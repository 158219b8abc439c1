import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveCommand } from '../../src/supervisor/resolve-command.js';

function scratchWithScripts(): string {
  const dir = mkdtempSync(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'resolve-'));
  mkdirSync(join(dir, 'bin-a'));
  mkdirSync(join(dir, 'bin-b'));
  writeFileSync(join(dir, 'bin-a', 'tool'), '#!/bin/sh\n');
  chmodSync(join(dir, 'bin-a', 'tool'), 0o644);
  writeFileSync(join(dir, 'bin-b', 'tool'), '#!/bin/sh\n');
  chmodSync(join(dir, 'bin-b', 'tool'), 0o755);
  return dir;
}

describe('resolveCommand', () => {
  it('searches PATH in order and skips entries that are not executable, as execvp does', () => {
    const dir = scratchWithScripts();
    const searchPath = `${join(dir, 'bin-a')}:${join(dir, 'bin-b')}`;
    expect(resolveCommand({ command: 'tool', cwd: '/', searchPath })).toBe(join(dir, 'bin-b', 'tool'));
  });

  it('resolves a relative path against the workload cwd, and an empty PATH entry as the cwd', () => {
    const dir = scratchWithScripts();
    expect(resolveCommand({ command: './bin-b/tool', cwd: dir, searchPath: undefined })).toBe(
      join(dir, 'bin-b', 'tool'),
    );
    expect(resolveCommand({ command: 'tool', cwd: join(dir, 'bin-b'), searchPath: '/nonexistent:' })).toBe(
      join(dir, 'bin-b', 'tool'),
    );
  });

  it('tells "not found" (127) from "found but not executable" (126)', () => {
    const dir = scratchWithScripts();
    expect(() => resolveCommand({ command: 'tool', cwd: '/', searchPath: join(dir, 'bin-a') })).toThrow(
      expect.objectContaining({ code: 'ERR_WORKLOAD_NOT_EXECUTABLE', exitCode: 126 }),
    );
    expect(() => resolveCommand({ command: 'missing-tool', cwd: '/', searchPath: join(dir, 'bin-a') })).toThrow(
      expect.objectContaining({ code: 'ERR_WORKLOAD_NOT_FOUND', exitCode: 127 }),
    );
    expect(() => resolveCommand({ command: dir, cwd: '/', searchPath: undefined })).toThrow(
      expect.objectContaining({ code: 'ERR_WORKLOAD_NOT_EXECUTABLE' }),
    );
  });
});
