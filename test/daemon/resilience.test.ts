// The daemon under trouble: crashing tasks, rotation restarts against the node-wide budget, the
// store going away and coming back (last-known-good), short-lived tokens, a rotated credential,
// crash leftovers, and a hundred tasks sharing one secret.
import { mkdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { capturedLogLines } from '../helpers/log-capture.js';
import { startDaemonStore, type DaemonStore } from './support/daemon-store.js';
import {
  createDaemonDirs,
  fixtureApp,
  readReport,
  startTestDaemon,
  waitFor,
  writeApp,
  type DaemonDirs,
  type TestDaemon,
} from './support/daemon-harness.js';

let store: DaemonStore;
let dirs: DaemonDirs;
let daemon: TestDaemon | undefined;

beforeAll(async () => {
  // Tokens live 3 s: the daemon renews them (at 2/3) many times during this file.
  store = await startDaemonStore({ tokenLifetimeSeconds: 3 });
});

afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  await rm(dirs.secretRoot, { recursive: true, force: true });
});

afterAll(async () => {
  await store?.close();
});

const fresh = async (): Promise<DaemonDirs> => {
  dirs = await createDaemonDirs();
  await store.writeServiceAccount(`sa-${Date.now()}`, dirs.credentialFile);
  return dirs;
};
const starts = async (name: string) => (await readReport(dirs, name)).filter((event) => event.event === 'start');

describe('daemon under trouble', () => {
  it('backs off a crashing task and holds it back after repeated quick failures', async () => {
    await fresh();
    await store.setSecret('crash/s', 'v1');
    await writeApp(
      dirs,
      'crash.json',
      fixtureApp(dirs, 'crash', { secrets: { s: 'crash/s' }, env: { SECRET_S: { secret: 's' } }, crash: true }),
    );
    daemon = await startTestDaemon(store, dirs, { holdAfter: 3, holdFor: '10m', restartDelay: '100ms' });
    const held = await waitFor(
      () => daemon?.task('crash.json')?.state === 'held' && daemon.task('crash.json'),
      'the task to be held',
    );
    expect(held.restarts).toBe(2);
    expect(held.lastExitCode).toBe(3);
    expect(Date.parse(held.heldUntil ?? '') - Date.now()).toBeGreaterThan(5 * 60_000);
    expect((await starts('crash')).length).toBe(3);
  });

  it('restarts tasks labelled restart on rotation, within the node-wide restart budget', async () => {
    await fresh();
    await store.setSecret('shared-conf', 'c1');
    for (const name of ['r1', 'r2', 'r3']) {
      await writeApp(
        dirs,
        `${name}.json`,
        fixtureApp(dirs, name, {
          secrets: { conf: 'shared-conf' },
          files: { conf: 'conf' },
          labels: { SECRETS_AGENT_ON_CHANGE: 'restart' },
        }),
      );
    }
    daemon = await startTestDaemon(store, dirs, { restartBudget: '1/h' });
    await waitFor(
      () =>
        daemon?.daemon.status().tasks.every((task) => task.state === 'running') &&
        daemon.daemon.status().tasks.length === 3,
      'three running tasks',
    );
    await store.setSecret('shared-conf', 'c2');
    await waitFor(
      () => daemon?.daemon.status().tasks.filter((task) => task.restartPending === true).length === 2,
      'two restarts deferred',
    );
    const restarted = await waitFor(async () => {
      for (const name of ['r1', 'r2', 'r3']) {
        const found = (await starts(name)).find((event) => (event.files?.['conf'] as string) === 'c2');
        if (found !== undefined) return name;
      }
      return undefined;
    }, 'one task restarted with the new value');
    expect(daemon.task(`${restarted}.json`)?.restarts).toBe(1);
    // The deferred ones still run, and their files already carry the new value.
    const deferred = daemon.daemon.status().tasks.filter((task) => task.restartPending === true);
    expect(deferred.map((task) => task.state)).toEqual(['running', 'running']);
    expect(deferred.every((task) => task.restarts === 0)).toBe(true);
  });

  it('keeps tasks running while the store is away, reuses last-known-good values on a restart, and resumes fetching', async () => {
    await fresh();
    await store.setSecret('lkg/s', 'l1');
    await writeApp(dirs, 'lkg.json', fixtureApp(dirs, 'lkg', { secrets: { s: 'lkg/s' }, files: { s: 's' } }));
    daemon = await startTestDaemon(store, dirs, { lastKnownGood: '10m', restartDelay: '100ms' });
    const first = await waitFor(async () => (await starts('lkg'))[0], 'lkg to start');
    await store.stop();
    try {
      // A running task is not touched by the outage.
      await waitFor(() => daemon?.daemon.status().store.lastError !== undefined, 'the daemon to notice the outage');
      expect(daemon.task('lkg.json')).toMatchObject({ state: 'running', pid: first.pid });
      // It crashes: the restart reuses its previous values, reported as stale.
      process.kill(first.pid, 'SIGKILL');
      const second = await waitFor(
        async () => (await starts('lkg')).find((event) => event.pid !== first.pid),
        'a restart on last-known-good values',
        60_000,
      );
      expect(second.files?.['s']).toBe('l1');
      expect(daemon.task('lkg.json')?.stale).toBeDefined();
    } finally {
      await store.start();
    }
    await waitFor(() => daemon?.task('lkg.json')?.stale === undefined, 'stale to clear once the store is back', 60_000);
    await store.setSecret('lkg/s', 'l2');
    const signal = await waitFor(
      async () => (await readReport(dirs, 'lkg')).find((event) => event.event === 'signal'),
      'rotation after the outage',
      60_000,
    );
    expect(signal.files?.['s']).toBe('l2');
  });

  it('renews short-lived tokens and picks up a rotated credential file without a restart', async () => {
    await fresh();
    await store.setSecret('tok/s', 't1');
    await writeApp(dirs, 'tok.json', fixtureApp(dirs, 'tok', { secrets: { s: 'tok/s' }, files: { s: 's' } }));
    daemon = await startTestDaemon(store, dirs, { changeWait: '1s' });
    const first = await waitFor(async () => (await starts('tok'))[0], 'tok to start');
    // Tokens live 3 s: wait until the daemon had to renew (no task restarts for it).
    await waitFor(
      () => (daemon?.daemon.status().token.renewals ?? 0) >= 2 && daemon?.daemon.status(),
      'two token renewals',
      30_000,
    );
    expect(daemon.task('tok.json')).toMatchObject({ pid: first.pid, restarts: 0 });
    await store.setSecret('tok/s', 't2');
    await waitFor(
      async () =>
        (await readReport(dirs, 'tok')).find((event) => event.event === 'signal' && event.files?.['s'] === 't2'),
      'rotation with a renewed token',
    );

    // Rotate the credential on disk, then delete the old account: only the new one can log in.
    const oldUid = (await import('node:fs'))
      .readFileSync(dirs.credentialFile, 'utf8')
      .match(/"uid":"([^"]+)"/)?.[1] as string;
    const newUid = `${oldUid}-rotated`;
    await store.writeServiceAccount(newUid, dirs.credentialFile);
    await waitFor(
      () =>
        capturedLogLines().some(
          (line) => line.includes('service-account credential reloaded') && line.includes(`"uid":"${newUid}"`),
        ),
      'the daemon to reload the credential',
    );
    await store.iam.deleteAccount(oldUid);
    await store.setSecret('tok/s', 't3');
    await waitFor(
      async () =>
        (await readReport(dirs, 'tok')).find((event) => event.event === 'signal' && event.files?.['s'] === 't3'),
      'rotation with the rotated credential',
      30_000,
    );
    expect(daemon.task('tok.json')).toMatchObject({ pid: first.pid, restarts: 0 });
  });

  it('removes secret directories left by a crashed owner at start', async () => {
    await fresh();
    // A name sweepStaleSecretDirs recognises, owned by a PID that does not run (pid 1 with other start ticks).
    const leftover = join(dirs.secretRoot, 'secrets-agent.1.1.abcdef');
    await mkdir(leftover);
    await (await import('node:fs/promises')).writeFile(join(leftover, 'db'), 'old');
    daemon = await startTestDaemon(store, dirs);
    expect(existsSync(leftover)).toBe(false);
  });

  it('fetches a secret once for a hundred tasks that share it', async () => {
    await fresh();
    await store.setSecret('fleet-shared', 'f1');
    const path = 'GET /secrets/v1/secret/default/fleet-shared';
    const before = store.count(path);
    for (let index = 0; index < 100; index += 1) {
      await writeApp(dirs, `sleep-${index}.json`, {
        id: `/sleep-${index}`,
        args: ['sleep', '3600'],
        secrets: { s: { source: 'fleet-shared' } },
        env: { SECRET_S: { secret: 's' } },
      });
    }
    daemon = await startTestDaemon(store, dirs);
    expect(daemon.daemon.status().tasks.filter((task) => task.state === 'running')).toHaveLength(100);
    // The change feed's first answer (a reset) re-reads every path in use once.
    await waitFor(() => store.count(path) - before >= 2, 'the feed resync');
    expect(store.count(path) - before).toBe(2);
  }, 120_000);
});
