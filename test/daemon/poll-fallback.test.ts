// The daemon against a store without the change feed (a DC/OS store; here the real store behind
// the feedless proxy, test/daemon/support/feedless-store-proxy.ts): it notices the 404, says
// `poll` in its status, and a rotated secret still reaches the task within a few poll intervals.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchDaemonStatus } from '../../src/daemon/status-client.js';
import { canaryValue } from '../helpers/canary.js';
import { startDaemonStore, type DaemonStore } from './support/daemon-store.js';
import { startFeedlessStoreProxy, type FeedlessStoreProxy } from './support/feedless-store-proxy.js';
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
let proxy: FeedlessStoreProxy;
let dirs: DaemonDirs;
let daemon: TestDaemon;

beforeAll(async () => {
  store = await startDaemonStore();
  proxy = await startFeedlessStoreProxy(store.url);
  dirs = await createDaemonDirs();
  await store.writeServiceAccount('node-agent', dirs.credentialFile);
  await store.setSecret('polled/db', canaryValue);
  await store.setSecret('polled/cert', 'cert-v1');
  await writeApp(
    dirs,
    'polled.json',
    fixtureApp(dirs, 'polled', {
      secrets: { db: 'polled/db', cert: 'polled/cert' },
      env: { SECRET_DB: { secret: 'db' } },
      files: { 'conf/cert': 'cert' },
    }),
  );
  daemon = await startTestDaemon(store, dirs, { pollInterval: '200ms' }, { url: proxy.url });
});

afterAll(async () => {
  await daemon?.stop();
  await proxy?.close();
  await store?.close();
  await rm(dirs.secretRoot, { recursive: true, force: true });
});

describe('daemon with a store that has no change feed', () => {
  it('falls back to polling after the 404 and says so in its status', async () => {
    const start = await waitFor(
      async () => (await readReport(dirs, 'polled')).find((event) => event.event === 'start'),
      'the task to start',
    );
    expect(start.env?.['SECRET_DB']).toBe(canaryValue);
    expect(start.files?.['conf/cert']).toBe('cert-v1');
    await waitFor(() => daemon.daemon.status().store.feed === 'poll', 'the daemon to poll');
    expect(proxy.feedRequests).toBeGreaterThanOrEqual(1);
    const status = await fetchDaemonStatus({ socketPath: dirs.statusSocket });
    expect(status.store).toMatchObject({ url: proxy.url, feed: 'poll' });
    expect(status.store.lastError).toBeUndefined();
    expect(JSON.stringify(status)).not.toContain(canaryValue);
  });

  it('delivers a rotated file secret found by polling and signals the task', async () => {
    const pid = daemon.task('polled.json')?.pid;
    const feedRequests = proxy.feedRequests;
    const certReadsBefore = store.count('GET /secrets/v1/secret/default/polled/cert');
    await store.setSecret('polled/cert', 'cert-v2');
    const signal = await waitFor(
      async () => (await readReport(dirs, 'polled')).find((event) => event.event === 'signal'),
      'SIGHUP after the poll saw the change',
    );
    expect(signal).toMatchObject({ pid, signal: 'SIGHUP' });
    expect(signal.files?.['conf/cert']).toBe('cert-v2');
    expect(daemon.task('polled.json')).toMatchObject({ pid, state: 'running' });
    // Found by re-reading the secret, not by asking the feed again.
    expect(store.count('GET /secrets/v1/secret/default/polled/cert')).toBeGreaterThan(certReadsBefore);
    expect(proxy.feedRequests).toBe(feedRequests);
  });

  it('does not retry a task that failed on a missing secret at every poll; creating the secret starts it', async () => {
    await writeApp(
      dirs,
      'waiting.json',
      fixtureApp(dirs, 'waiting', { secrets: { key: 'waiting/not-yet' }, env: { SECRET_KEY: { secret: 'key' } } }),
    );
    await waitFor(() => daemon.task('waiting.json')?.state === 'failed', 'the task to fail on the missing secret');
    const reads = (): number => store.count('GET /secrets/v1/secret/default/waiting/not-yet');
    const readsBefore = reads();
    // Several polls re-read the missing path; none of them relaunches the task.
    await waitFor(() => reads() >= readsBefore + 3, 'three more polls');
    expect(daemon.task('waiting.json')).toMatchObject({ state: 'failed', restarts: 0 });
    expect((await readReport(dirs, 'waiting')).length).toBe(0);

    await store.setSecret('waiting/not-yet', 'now-here');
    const start = await waitFor(
      async () => (await readReport(dirs, 'waiting')).find((event) => event.event === 'start'),
      'the task to start once its secret exists',
    );
    expect(start.env?.['SECRET_KEY']).toBe('now-here');
    expect(daemon.task('waiting.json')).toMatchObject({ state: 'running', restarts: 1 });
  });
});
