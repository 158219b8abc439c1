// PID 1 for real: a fresh PID namespace (unshare, as root) where the agent is init.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fixturePath, runFixture } from './support/child-lines.js';

const asInit = ['unshare', '--pid', '--fork', '--mount-proc'];
const canUnshare =
  process.geteuid?.() === 0 && spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status === 0;

describe('PID 1', () => {
  it('supervise mode as PID 1 says that orphans will not be reaped', async (context) => {
    if (!canUnshare) context.skip('needs root and unshare(1) to make a PID namespace');
    const run = runFixture(
      'supervise.ts',
      [JSON.stringify({ command: process.execPath, args: [fixturePath('exit-with.mjs'), '7'], killTimeoutMs: 1000 })],
      { wrapper: asInit },
    );
    const supervisor = await run.waitFor((line) => 'supervising' in line);
    expect(supervisor['supervising']).toBe(1);
    expect(await run.exited).toEqual({ code: 7, signal: null });
    expect(run.stderr()).toContain('orphaned grandchildren of the workload are not reaped');
  });

  it('exec mode as PID 1 hands PID 1 to the workload', async (context) => {
    if (!canUnshare) context.skip('needs root and unshare(1) to make a PID namespace');
    const run = runFixture(
      'exec-self.ts',
      [JSON.stringify({ command: '/bin/sh', args: ['-c', 'echo "{\\"shPid\\":$$}"'], env: { PATH: '/usr/bin:/bin' } })],
      { wrapper: asInit, fileStdio: true },
    );
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.lines).toEqual([{ nodePid: 1 }, { shPid: 1 }]);
  });
});
