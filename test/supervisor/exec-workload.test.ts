// execWorkload for real: a Node fixture replaces itself with /bin/sh, which reports its own PID.
import { chmodSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canaryValue } from '../helpers/canary.js';
import { quoteShellWord } from '../../src/supervisor/sh-trampoline.js';
import { runFixture } from './support/child-lines.js';

const scratch = (): string =>
  realpathSync(mkdtempSync(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'exec-')));
// Prints one JSON line from the exec'd shell: its PID, cwd, two variables, its args and its ignored signals.
const reportScript = [
  'ign=$(sed -n "s/^SigIgn:[[:space:]]*//p" /proc/self/status)',
  'arg=$(printf %s "$1" | od -An -tx1 | tr -d " \\n")',
  'printf \'{"shPid":%s,"cwd":"%s","secret":"%s","home":"%s","argHex":"%s","sigIgn":"%s"}\\n\' "$$" "$PWD" "$SECRET" "${HOME-unset}" "$arg" "$ign"',
].join('; ');

// stdio on files: under tsx piped stdio is non-blocking, and execWorkload would (rightly) decline.
function execSelf(spec: Record<string, unknown>, fileStdio = true) {
  return runFixture('exec-self.ts', [JSON.stringify(spec)], { fileStdio });
}

describe('execWorkload', () => {
  it('replaces the Node process: same PID, exact env, cwd and args, default signal dispositions', async () => {
    const cwd = scratch();
    const longArg = `an argument longer than sixteen bytes with 'quotes' and $dollars and \\backslashes`;
    const run = execSelf({
      command: '/bin/sh',
      args: ['-c', reportScript, 'sh', longArg],
      env: { PATH: process.env['PATH'], SECRET: canaryValue },
      cwd,
    });
    const exit = await run.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    const [nodeLine, shLine] = run.lines as [{ nodePid: number }, Record<string, unknown>];
    expect(shLine).toMatchObject({
      shPid: nodeLine.nodePid,
      cwd,
      secret: canaryValue,
      home: 'unset',
      argHex: Buffer.from(longArg).toString('hex'),
    });
    // Node ignores SIGPIPE (bit 13) and SIGXFSZ (bit 25); the workload must not inherit that.
    const ignored = BigInt(`0x${String(shLine['sigIgn'])}`);
    expect(ignored & (1n << 12n)).toBe(0n);
    expect(ignored & (1n << 24n)).toBe(0n);
  });

  it('hands the workload exactly the given environment (nothing added by the exec path)', async () => {
    const env = { PATH: '/usr/bin:/bin', SECRET: canaryValue, WITH_NEWLINE: 'two\nlines', EMPTY: '' };
    const run = execSelf({ command: '/usr/bin/env', args: ['-0'], env });
    expect(await run.exited).toEqual({ code: 0, signal: null });
    const output = (run.lines.slice(1) as { text: string }[]).map((line) => line.text).join('\n');
    const seen = Object.fromEntries(
      output
        .split('\0')
        .filter((entry) => entry !== '')
        .map((entry) => {
          const equals = entry.indexOf('=');
          return [entry.slice(0, equals), entry.slice(equals + 1)];
        }),
    );
    expect(seen).toEqual(env);
  });

  it('declines (returns false) when the exec path could not pass a variable on unchanged', async () => {
    // dash, Debian's /bin/sh, drops names that are not shell identifiers; process.execve (Node >= 22.15) would not.
    const hasExecve = typeof (process as unknown as { execve?: unknown }).execve === 'function';
    const run = execSelf({
      command: '/bin/sh',
      args: ['-c', 'echo "{\\"shPid\\":$$}"'],
      env: { 'my-var': 'x', IFS: ',' },
    });
    expect(await run.exited).toEqual({ code: 0, signal: null });
    if (hasExecve) {
      expect(run.lines.some((line) => 'shPid' in (line as object))).toBe(true);
    } else {
      expect(run.lines).toContainEqual({ exec: false });
      expect(run.stderr()).toMatch(/"names":\["IFS","my-var"\]/);
    }
  });

  it('finds the command on the PATH of the workload environment', async () => {
    const bin = scratch();
    writeFileSync(join(bin, 'report-pid'), '#!/bin/sh\necho "{\\"shPid\\":$$}"\n');
    chmodSync(join(bin, 'report-pid'), 0o755);
    const run = execSelf({ command: 'report-pid', args: [], env: { PATH: `${bin}:/usr/bin:/bin` } });
    expect(await run.exited).toEqual({ code: 0, signal: null });
    const [nodeLine, shLine] = run.lines as [{ nodePid: number }, { shPid: number }];
    expect(shLine.shPid).toBe(nodeLine.nodePid);
  });

  it('throws ERR_WORKLOAD_NOT_FOUND (127) and ERR_WORKLOAD_NOT_EXECUTABLE (126) and stays alive', async () => {
    const missing = execSelf({ command: 'no-such-command-anywhere', args: [], env: { PATH: '/usr/bin:/bin' } });
    expect(await missing.exited).toEqual({ code: 127, signal: null });
    expect(missing.lines).toContainEqual({ error: 'ERR_WORKLOAD_NOT_FOUND' });

    const dir = scratch();
    writeFileSync(join(dir, 'plain'), '#!/bin/sh\n');
    chmodSync(join(dir, 'plain'), 0o644);
    const notExecutable = execSelf({ command: join(dir, 'plain'), args: [], env: {} });
    expect(await notExecutable.exited).toEqual({ code: 126, signal: null });
    expect(notExecutable.lines).toContainEqual({ error: 'ERR_WORKLOAD_NOT_EXECUTABLE' });
  });

  it('declines (returns false) once stdout is non-blocking, so the caller supervises instead', async () => {
    const run = execSelf(
      { command: '/bin/sh', args: ['-c', 'echo "{\\"shPid\\":$$}"'], env: {}, touchStdout: true },
      false,
    );
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.lines).toContainEqual({ exec: false });
    expect(run.lines.some((line) => 'shPid' in (line as object))).toBe(false);
    expect(run.stderr()).toContain('non-blocking');
  });

  it('quotes shell words so that sh passes them on unchanged', () => {
    expect(quoteShellWord("it's")).toBe(`'it'\\''s'`);
    expect(quoteShellWord('')).toBe("''");
  });
});
