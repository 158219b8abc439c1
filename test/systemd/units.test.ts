import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { runCli } from '../../src/cli/run-cli.js';
import { commandGroups } from '../../src/cli/commands/index.js';
import { errorCodes } from '../../src/core/errors.js';
import { tmpdir } from 'node:os';

const unitDir = new URL('../../systemd/', import.meta.url);
const units = readdirSync(unitDir).filter((name) => name.endsWith('.service'));
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

// `systemd-analyze verify` insists the ExecStart binary exists; the installed path
// (/usr/bin/secrets-agent) is swapped for a real executable in a scratch dir.
function copyWithExecutable(unit: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'units-'));
  const bin = join(dir, 'secrets-agent');
  writeFileSync(
    bin,
    `#!/bin/sh\nexec ${process.execPath} ${new URL('../../dist/src/cli/main.js', import.meta.url).pathname} "$@"\n`,
  );
  chmodSync(bin, 0o755);
  const text = readFileSync(new URL(unit, unitDir), 'utf8').replaceAll('/usr/bin/secrets-agent', bin);
  const target = join(dir, unit);
  writeFileSync(target, text);
  return target;
}

describe('systemd units', () => {
  it('ships the store unit and the agent unit', () => {
    expect(units).toContain('secrets-agent-store.service');
    expect(units).toContain('secrets-agent.service');
  });

  // Warnings (unknown keys, unparsable values) go to stderr with exit status 0: both streams must be empty.
  it.each(units)('%s passes systemd-analyze verify', (unit) => {
    if (!hasSystemdAnalyze) throw new Error('systemd-analyze is missing: npm test installs it (scripts/setup.sh)');
    const target = copyWithExecutable(unit);
    const result = spawnSync('systemd-analyze', ['verify', target], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });

  it('systemd-analyze verify reports what the check above must catch', () => {
    if (!hasSystemdAnalyze) throw new Error('systemd-analyze is missing: npm test installs it (scripts/setup.sh)');
    const target = copyWithExecutable('secrets-agent.service');
    writeFileSync(
      target,
      readFileSync(target, 'utf8').replace('[Service]\n', '[Service]\nRestartSecs=5s\nTimeoutStopSec=soon\n'),
    );
    const result = spawnSync('systemd-analyze', ['verify', target], { encoding: 'utf8' });
    expect(result.stderr).toContain("Unknown key 'RestartSecs'");
    expect(result.stderr).toContain('Failed to parse');
  });

  it.each(units)('%s keeps configuration and permission failures from restart loops', (unit) => {
    const text = readFileSync(new URL(unit, unitDir), 'utf8');
    expect(text).toMatch(/^RestartPreventExitStatus=.*\b78\b/m);
    expect(text).toMatch(/^RestartPreventExitStatus=.*\b77\b/m);
    expect(text).toMatch(/^NoNewPrivileges=yes$/m);
    expect(text).toMatch(/^ProtectSystem=strict$/m);
  });

  describe('secrets-agent.service', () => {
    const text = readFileSync(new URL('secrets-agent.service', unitDir), 'utf8');
    const directive = (name: string): string[] =>
      [...text.matchAll(new RegExp(`^${name}=(.*)$`, 'gm'))].map((match) => match[1] ?? '');

    it('is Type=notify, accepting notifications from the main process only', () => {
      expect(directive('Type')).toEqual(['notify']);
      expect(directive('NotifyAccess')).toEqual(['main']);
    });

    it('reloads with SIGHUP and lets the daemon stop its own tasks', () => {
      expect(directive('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
      expect(directive('KillMode')).toEqual(['mixed']);
      expect(directive('Restart')).toEqual(['on-failure']);
      expect(directive('RestartSec')).toHaveLength(1);
      expect(directive('ExecStart')[0]).toMatch(
        /^\/usr\/bin\/secrets-agent daemon --apps-dir \/etc\/secrets-agent\/apps /,
      );
      expect(directive('ExecStart')[0]).toContain('--status-socket /run/secrets-agent/daemon.sock');
    });

    it('passes only flags that `secrets-agent daemon` knows', async () => {
      let help = '';
      const code = await runCli(
        ['daemon', '--help'],
        {
          stdin: Readable.from([]),
          stdout: new Writable({
            write(chunk: Buffer, _encoding, callback) {
              help += chunk.toString('utf8');
              callback();
            },
          }),
          stderr: new Writable({
            write(_chunk, _encoding, callback) {
              callback();
            },
          }),
          env: {},
          cwd: process.cwd(),
        },
        { groups: commandGroups },
      );
      expect(code).toBe(0);
      // The flags in ExecStart and in the SECRETS_AGENT_ARGS example comment.
      const flags = new Set([...text.matchAll(/\s(--[a-z][a-z-]+)/g)].map((match) => match[1] ?? ''));
      expect(flags.size).toBeGreaterThan(5);
      for (const flag of flags) expect(help, flag).toMatch(new RegExp(`\\s${flag}\\b`));
    });

    it('never restarts on the exit codes of usage, input, permission and configuration errors', () => {
      const prevented = (directive('RestartPreventExitStatus')[0] ?? '').split(/\s+/).map(Number);
      const permanent = (
        [
          'ERR_USAGE',
          'ERR_INPUT_INVALID',
          'ERR_APPDEF_INVALID',
          'ERR_FORBIDDEN',
          'ERR_AUTH_LOGIN_FAILED',
          'ERR_CONFIG_INVALID',
          'ERR_AUTH_CREDENTIAL_INVALID',
          'ERR_TLS_CONFIG',
        ] as const
      ).map((code) => errorCodes[code].exitCode);
      for (const exitCode of permanent) expect(prevented).toContain(exitCode);
      // A store outage, a timeout or a crash must still be restarted.
      for (const code of [
        'ERR_STORE_UNREACHABLE',
        'ERR_TIMEOUT',
        'ERR_INTERNAL',
        'ERR_DAEMON_ALREADY_RUNNING',
      ] as const) {
        expect(prevented).not.toContain(errorCodes[code].exitCode);
      }
    });

    it('is sandboxed, with only the capabilities tmpfs, ownership and signalling need, each justified', () => {
      for (const line of [
        'NoNewPrivileges=yes',
        'ProtectSystem=strict',
        'ProtectHome=yes',
        'PrivateTmp=yes',
        'RuntimeDirectory=secrets-agent',
        'StateDirectory=secrets-agent',
      ]) {
        expect(text.split('\n')).toContain(line);
      }
      expect(directive('ReadWritePaths')).toEqual(['/var/lib/secrets-agent /run/secrets-agent']);
      const capabilities = (directive('CapabilityBoundingSet')[0] ?? '').split(/\s+/);
      expect(capabilities.sort()).toEqual([
        'CAP_CHOWN',
        'CAP_DAC_OVERRIDE',
        'CAP_FOWNER',
        'CAP_KILL',
        'CAP_SETGID',
        'CAP_SETUID',
        'CAP_SYS_ADMIN',
      ]);
      for (const capability of capabilities) expect(text).toMatch(new RegExp(`^# ${capability}\\s+\\S`, 'm'));
    });
  });
});
