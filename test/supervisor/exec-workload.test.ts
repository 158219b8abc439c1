// execWorkload for real: a Node fixture replaces itself with /bin/sh, which reports its own PID.
// Through the vendored native addon by default; the fallback through the test hook.
import { createHash } from 'node:crypto';
import { chmodSync, constants, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canaryValue } from '../helpers/canary.js';
import { loadNativeAddon, nativeAddonEnvVar } from '../../src/supervisor/native-addon.js';
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

// What `env -0` printed after the fixture's first line, as an object.
function readEnvOutput(lines: readonly unknown[]): Record<string, string> {
  const output = (lines.slice(1) as { text: string }[]).map((line) => line.text).join('\n');
  return Object.fromEntries(
    output
      .split('\0')
      .filter((entry) => entry !== '')
      .map((entry) => {
        const equals = entry.indexOf('=');
        return [entry.slice(0, equals), entry.slice(equals + 1)];
      }),
  );
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
    expect(readEnvOutput(run.lines)).toEqual(env);
  });

  it('passes names a shell would drop or change (`my-var`, IFS, a foreign PWD) unchanged: no /bin/sh hop (issue 12.4, 13.3)', async () => {
    // dash, Debian's /bin/sh, drops `my-var`, resets IFS and rewrites a PWD that is not its cwd:
    // the old trampoline declined (and `run` supervised) for any of them.
    const cwd = scratch();
    const env = { PATH: '/usr/bin:/bin', 'my-var': 'x', IFS: ',', PWD: '/somewhere/else' };
    const run = execSelf({ command: '/usr/bin/env', args: ['-0'], env, cwd });
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(readEnvOutput(run.lines)).toEqual(env);
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

  it('execs with a non-blocking stdout pipe and hands the workload blocking stdio (issue 13.3)', async () => {
    // touchStdout makes Node set O_NONBLOCK on the pipe; the addon clears it before execve.
    const script =
      'printf \'{"shPid":%s,"flags":"%s"}\\n\' "$$" "$(sed -n "s/^flags:[[:space:]]*//p" /proc/self/fdinfo/1)"';
    const run = execSelf({ command: '/bin/sh', args: ['-c', script], env: {}, touchStdout: true }, false);
    expect(await run.exited).toEqual({ code: 0, signal: null });
    const [nodeLine, shLine] = run.lines as [{ nodePid: number }, { shPid: number; flags: string }];
    expect(shLine.shPid).toBe(nodeLine.nodePid);
    expect(Number.parseInt(shLine.flags, 8) & constants.O_NONBLOCK).toBe(0);
  });

  it('execs ARG_MAX-sized argument lists and environments: same PID, every byte arrives (issue 13.3)', async () => {
    // ARG_MAX is 2 MiB here (a quarter of the 8 MiB stack limit); one string may have 128 KiB
    // (MAX_ARG_STRLEN, NUL included). 12 x 127 KiB of arguments + 4 x 64 KiB of environment ~ 1.75 MiB.
    const generate = { args: 12, argBytes: 127 * 1024, envVars: 4, envBytes: 64 * 1024 };
    const script =
      'printf \'{"shPid":%s,"argv":"%s","env":"%s"}\\n\' "$$" "$(printf "%s\\n" "$@" | sha256sum | cut -c1-64)" "$(env | grep ^BIG_ | sort | sha256sum | cut -c1-64)"';
    const run = execSelf({ command: '/bin/sh', args: ['-c', script, 'sh'], env: { PATH: '/usr/bin:/bin' }, generate });
    expect(await run.exited, run.stderr()).toEqual({ code: 0, signal: null });
    const [nodeLine, shLine] = run.lines as [{ nodePid: number }, { shPid: number; argv: string; env: string }];
    const letter = (index: number): string => String.fromCharCode(97 + (index % 26));
    const args = Array.from({ length: generate.args }, (_, index) => `${letter(index).repeat(generate.argBytes)}\n`);
    const env = Array.from(
      { length: generate.envVars },
      (_, index) => `BIG_${index}=${letter(index).repeat(generate.envBytes)}\n`,
    );
    expect(shLine.shPid).toBe(nodeLine.nodePid);
    expect(shLine.argv).toBe(createHash('sha256').update(args.join('')).digest('hex'));
    expect(shLine.env).toBe(createHash('sha256').update(env.sort().join('')).digest('hex'));
  });

  it('maps E2BIG (one argument over 128 KiB) to ERR_WORKLOAD_NOT_EXECUTABLE and stays alive', async () => {
    const generate = { args: 1, argBytes: 128 * 1024, envVars: 0, envBytes: 0 };
    const run = execSelf({ command: '/bin/true', args: [], env: {}, generate });
    expect(await run.exited).toEqual({ code: 126, signal: null });
    expect(run.lines).toContainEqual({ error: 'ERR_WORKLOAD_NOT_EXECUTABLE' });
    expect(run.lines).toContainEqual({ message: 'Workload command `/bin/true` could not be started (E2BIG)' });
  });

  it('the native addon was built at install (npm ci / scripts/setup.sh)', () => {
    expect(
      loadNativeAddon(),
      'native/build/Release/secrets_agent_native.node is missing: run `npm run build:native`',
    ).toBeDefined();
  });

  it(`falls back when the addon is missing (test hook ${nativeAddonEnvVar}=off): process.execve, else supervise`, async () => {
    const hasExecve = typeof (process as unknown as { execve?: unknown }).execve === 'function';
    const run = runFixture(
      'exec-self.ts',
      [JSON.stringify({ command: '/bin/sh', args: ['-c', 'echo "{\\"shPid\\":$$}"'], env: {} })],
      { fileStdio: true, env: { ...process.env, [nativeAddonEnvVar]: 'off' } },
    );
    expect(await run.exited).toEqual({ code: 0, signal: null });
    if (hasExecve) {
      expect(run.lines.some((line) => 'shPid' in (line as object))).toBe(true);
    } else {
      expect(run.lines).toContainEqual({ exec: false });
      expect(run.stderr()).toContain('no native addon, no process.execve');
    }
  });

  it('quotes shell words so that sh passes them on unchanged', () => {
    expect(quoteShellWord("it's")).toBe(`'it'\\''s'`);
    expect(quoteShellWord('')).toBe("''");
  });
});
