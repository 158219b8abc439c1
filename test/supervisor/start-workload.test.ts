import { chmodSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { canaryValue } from '../helpers/canary.js';
import { createTestLogger } from '../helpers/log-capture.js';
import { exitCodeOf } from '../../src/supervisor/exit-code.js';
import { startWorkload } from '../../src/supervisor/start-workload.js';
import { fixturePath } from './support/child-lines.js';

const log = createTestLogger();
const scratch = (): string => mkdtempSync(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'supervisor-'));
const baseEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };

async function runNode(
  script: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; uid?: number; gid?: number } = {},
) {
  const handle = await startWorkload({
    command: process.execPath,
    args: [fixturePath(script), ...args],
    env: options.env ?? baseEnv,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.uid === undefined ? {} : { uid: options.uid }),
    ...(options.gid === undefined ? {} : { gid: options.gid }),
    stdio: 'pipe',
    killTimeoutMs: 10_000,
    log,
  });
  const [stdout, exit] = await Promise.all([text(handle.stdout!), handle.exited]);
  return { handle, stdout, exit };
}

describe('startWorkload', () => {
  it('with a parent-death signal: the same PID runs the workload (setpriv execs it), env exact, 127 for a missing command (issue 12.5)', async () => {
    const env = { ...baseEnv, DB_PASSWORD: canaryValue };
    const handle = await startWorkload({
      command: 'sh',
      args: ['-c', 'echo "$$ $DB_PASSWORD"'],
      env,
      stdio: 'pipe',
      parentDeathSignal: 'SIGKILL',
      log,
    });
    const [stdout, exit] = await Promise.all([text(handle.stdout!), handle.exited]);
    expect(exit.exitCode).toBe(0);
    expect(stdout.split('\n')[0]).toBe(`${handle.pid} ${canaryValue}`);
    await expect(
      startWorkload({ command: 'no-such-command-anywhere', env, parentDeathSignal: 'SIGKILL', log }),
    ).rejects.toMatchObject({ code: 'ERR_WORKLOAD_NOT_FOUND' });
  });

  it.each([0, 1, 42])('passes exit code %i through', async (code) => {
    const { exit } = await runNode('exit-with.mjs', [String(code)]);
    expect(exit).toEqual({ exitCode: code, signal: undefined });
    expect(exitCodeOf(exit)).toBe(code);
  });

  it('gives the workload exactly the env and cwd it was asked for', async () => {
    const cwd = realpathSync(scratch());
    const env = { ...baseEnv, PLAIN: 'plain value', DB_PASSWORD: canaryValue };
    const { stdout, exit } = await runNode('report-env.mjs', [], { env, cwd });
    expect(exit.exitCode).toBe(0);
    const report = JSON.parse(stdout) as { cwd: string; env: Record<string, string>; ppid: number };
    expect(report.cwd).toBe(cwd);
    expect(report.ppid).toBe(process.pid);
    // Nothing of the agent's environment leaks in on top (extendEnv: false).
    expect(Object.keys(report.env).sort()).toEqual(['DB_PASSWORD', 'PATH', 'PLAIN']);
    expect(report.env['DB_PASSWORD']).toBe(canaryValue);
  });

  it('runs the workload as the given uid/gid', async () => {
    const { stdout } = await runNode('report-env.mjs', [], { uid: 65534, gid: 65534, cwd: '/' });
    expect(JSON.parse(stdout)).toMatchObject({ uid: 65534, gid: 65534 });
  });

  it('stops a child that ignores SIGTERM with SIGKILL after killTimeoutMs (137)', async () => {
    const handle = await startWorkload({
      command: process.execPath,
      args: [fixturePath('trap-signals.mjs'), 'SIGTERM', 'ignore'],
      env: baseEnv,
      stdio: 'pipe',
      killTimeoutMs: 300,
      log,
    });
    const lines = collectLines(handle.stdout!);
    await lines.waitFor((line) => line.includes('"ready"'));
    const exit = await handle.stop();
    expect(await lines.all()).toContain('{"signal":"SIGTERM"}');
    expect(exit).toEqual({ exitCode: undefined, signal: 'SIGKILL' });
    expect(exitCodeOf(exit)).toBe(137);
    expect(handle.state).toBe('exited');
    expect(handle.signal('SIGTERM')).toBe(false);
  });

  it('stops a child that dies by SIGTERM without escalation (143)', async () => {
    const handle = await startWorkload({
      command: process.execPath,
      args: [fixturePath('trap-signals.mjs'), 'SIGTERM', 'reraise'],
      env: baseEnv,
      stdio: 'pipe',
      killTimeoutMs: 60_000,
      log,
    });
    const lines = collectLines(handle.stdout!);
    await lines.waitFor((line) => line.includes('"ready"'));
    const [first, second] = [handle.stop(), handle.stop('SIGINT')];
    expect(second).toBe(first);
    expect(exitCodeOf(await first)).toBe(143);
  });

  it('maps a missing command to ERR_WORKLOAD_NOT_FOUND (127)', async () => {
    for (const command of ['/nonexistent/workload', 'no-such-command-on-path']) {
      const error = await startWorkload({ command, env: baseEnv, stdio: 'pipe', log }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toMatchObject({ code: 'ERR_WORKLOAD_NOT_FOUND', exitCode: 127 });
    }
  });

  it('maps a non-executable command to ERR_WORKLOAD_NOT_EXECUTABLE (126)', async () => {
    const dir = scratch();
    const script = join(dir, 'not-executable.sh');
    writeFileSync(script, '#!/bin/sh\nexit 0\n');
    chmodSync(script, 0o644);
    for (const command of [script, dir]) {
      const error = await startWorkload({ command, env: baseEnv, stdio: 'pipe', log }).catch(
        (caught: unknown) => caught,
      );
      expect(error).toMatchObject({ code: 'ERR_WORKLOAD_NOT_EXECUTABLE', exitCode: 126 });
    }
  });

  it('refuses bad options with the option named', async () => {
    await expect(startWorkload({ command: 'true', env: baseEnv, killTimeoutMs: -1 })).rejects.toThrow(
      'Expected `killTimeoutMs` to be a non-negative integer, got `-1` (number)',
    );
    await expect(startWorkload({ command: 'true', env: baseEnv, cwd: '/nonexistent/dir' })).rejects.toMatchObject({
      code: 'ERR_USAGE',
    });
    await expect(startWorkload({ command: 'true', env: baseEnv, uid: 1.5 })).rejects.toThrow(
      'Expected `uid` to be a non-negative integer, got `1.5` (number)',
    );
    await expect(startWorkload({ command: 'true', env: { BAD: `a\0${canaryValue}` } })).rejects.toSatisfy(
      (error: Error) =>
        (error as { code?: string }).code === 'ERR_INPUT_INVALID' && !error.message.includes(canaryValue),
    );
  });
});

// Lines of a child's stdout, to wait on a readiness line.
function collectLines(stream: NodeJS.ReadableStream) {
  const seen: string[] = [];
  const waiters: { predicate: (line: string) => boolean; resolve: () => void }[] = [];
  let buffer = '';
  const ended = new Promise<void>((resolve) => stream.once('end', resolve));
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    for (const line of parts) {
      seen.push(line);
      for (const waiter of [...waiters]) if (waiter.predicate(line)) waiter.resolve();
    }
  });
  return {
    waitFor(predicate: (line: string) => boolean): Promise<void> {
      if (seen.some(predicate)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
    async all(): Promise<string[]> {
      await ended;
      return seen;
    },
  };
}
