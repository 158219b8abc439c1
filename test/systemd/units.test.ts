import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

const unitDir = new URL('../../systemd/', import.meta.url);
const units = readdirSync(unitDir).filter((name) => name.endsWith('.service'));
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

// `systemd-analyze verify` insists the ExecStart binary exists; the installed path
// (/usr/bin/secrets-agent) is swapped for a real executable in a scratch dir.
function copyWithExecutable(unit: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'units-'));
  const bin = join(dir, 'secrets-agent');
  writeFileSync(bin, `#!/bin/sh\nexec ${process.execPath} ${new URL('../../dist/src/cli/main.js', import.meta.url).pathname} "$@"\n`);
  chmodSync(bin, 0o755);
  const text = readFileSync(new URL(unit, unitDir), 'utf8').replaceAll('/usr/bin/secrets-agent', bin);
  const target = join(dir, unit);
  writeFileSync(target, text);
  return target;
}

describe('systemd units', () => {
  it('ships the store unit and the agent unit', () => {
    expect(units).toContain('secrets-agent-store.service');
  });

  it.each(units)('%s passes systemd-analyze verify', (unit) => {
    if (!hasSystemdAnalyze) throw new Error('systemd-analyze is missing: npm test installs it (scripts/setup.sh)');
    const target = copyWithExecutable(unit);
    const output = execFileSync('systemd-analyze', ['verify', target], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(output).toBe('');
  });

  it.each(units)('%s keeps configuration and permission failures from restart loops', (unit) => {
    const text = readFileSync(new URL(unit, unitDir), 'utf8');
    expect(text).toMatch(/^RestartPreventExitStatus=.*\b78\b/m);
    expect(text).toMatch(/^RestartPreventExitStatus=.*\b77\b/m);
    expect(text).toMatch(/^NoNewPrivileges=yes$/m);
    expect(text).toMatch(/^ProtectSystem=strict$/m);
  });
});
