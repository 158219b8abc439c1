// A real supervisor process (fixture supervise.ts) runs a real child that reports its signals.
import { describe, expect, it } from 'vitest';
import { createTestLogger } from '../helpers/log-capture.js';
import { forwardSignals, forwardedSignals } from '../../src/supervisor/forward-signals.js';
import { startWorkload } from '../../src/supervisor/start-workload.js';
import { fixturePath, runFixture } from './support/child-lines.js';

const trapped = 'SIGTERM,SIGINT,SIGHUP,SIGQUIT,SIGUSR1,SIGUSR2,SIGWINCH,SIGURG';

function supervise(onStop: string, killTimeoutMs: number) {
  const run = runFixture('supervise.ts', [
    JSON.stringify({
      command: process.execPath,
      args: [fixturePath('trap-signals.mjs'), trapped, onStop],
      killTimeoutMs,
    }),
  ]);
  return run;
}

async function ready(run: ReturnType<typeof supervise>) {
  const [supervisor] = await Promise.all([
    run.waitFor((line) => 'supervising' in line),
    run.waitFor((line) => 'ready' in line),
  ]);
  return supervisor;
}

describe('forwardSignals', () => {
  it('SIGTERM to the supervisor reaches the child; the child dies by it and the supervisor exits 143', async () => {
    const run = supervise('reraise', 60_000);
    await ready(run);
    run.child.kill('SIGTERM');
    const exit = await run.exited;
    expect(run.lines).toContainEqual({ signal: 'SIGTERM' });
    expect(exit).toEqual({ code: 143, signal: null });
  });

  it("passes the child's own exit code through after a forwarded SIGINT", async () => {
    const run = supervise('exit:3', 60_000);
    await ready(run);
    run.child.kill('SIGINT');
    expect(await run.exited).toEqual({ code: 3, signal: null });
    expect(run.lines).toContainEqual({ signal: 'SIGINT' });
  });

  it('forwards the documented set and not SIGURG', async () => {
    const run = supervise('exit:0', 60_000);
    await ready(run);
    // SIGURG first: were it forwarded, the child would report it before the later signals.
    run.child.kill('SIGURG');
    for (const signal of ['SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const) {
      run.child.kill(signal);
      await run.waitFor((line) => line['signal'] === signal);
    }
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(run.lines).not.toContainEqual({ signal: 'SIGURG' });
    // SIGUSR1 has a listener, so Node did not open its inspector.
    expect(run.stderr()).not.toContain('Debugger listening');
  });

  it('a second SIGTERM during the grace period escalates to SIGKILL (137)', async () => {
    const run = supervise('ignore', 600_000);
    await ready(run);
    run.child.kill('SIGTERM');
    await run.waitFor((line) => line['signal'] === 'SIGTERM');
    run.child.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: 137, signal: null });
    expect(run.stderr()).toContain('second stop signal during the grace period');
  });

  it('refuses signals outside the documented set', async () => {
    const handle = await startWorkload({
      command: process.execPath,
      args: [fixturePath('exit-with.mjs'), '0'],
      env: {},
      stdio: 'pipe',
      log: createTestLogger(),
    });
    expect(() => forwardSignals(handle, ['SIGCHLD'])).toThrow(
      /Expected `signals` to contain only SIGTERM, .*got `"SIGCHLD"` \(string\)/,
    );
    expect(forwardedSignals).not.toContain('SIGPIPE');
    await handle.exited;
  });

  it('removes its listeners when the child exits', async () => {
    const handle = await startWorkload({
      command: process.execPath,
      args: [fixturePath('trap-signals.mjs'), 'SIGTERM', 'exit:0'],
      env: {},
      stdio: 'pipe',
      log: createTestLogger(),
    });
    const before = process.listeners('SIGHUP');
    forwardSignals(handle, ['SIGHUP']);
    const ours = process.listeners('SIGHUP').filter((listener) => !before.includes(listener));
    expect(ours).toHaveLength(1);
    await handle.stop();
    await Promise.resolve();
    expect(process.listeners('SIGHUP')).not.toContain(ours[0]);
  });
});
