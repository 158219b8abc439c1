// The daemon in-process against the real store (IAM, change feed) with real fixture tasks:
// definition files added, changed, broken and removed; rotation reaching files and signals.
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryValue } from '../helpers/canary.js';
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
let daemon: TestDaemon;

beforeAll(async () => {
  store = await startDaemonStore();
  dirs = await createDaemonDirs();
  await store.writeServiceAccount('node-agent', dirs.credentialFile);
  await store.setSecret('web/db', canaryValue);
  await store.setSecret('web/api', 'api-v1');
  await store.setSecret('web/cert', 'cert-v1');
  await writeApp(
    dirs,
    'web.json',
    fixtureApp(dirs, 'web', {
      env: { PLAIN: 'one', SECRET_API: { secret: 'api' } },
      secrets: { db: 'web/db', api: 'web/api', cert: 'web/cert' },
      files: { 'conf/db': 'db', 'conf/cert': 'cert' },
    }),
  );
  daemon = await startTestDaemon(store, dirs);
});

afterAll(async () => {
  await daemon?.stop();
  await store?.close();
  await rm(dirs.secretRoot, { recursive: true, force: true });
});

const starts = async (name: string) => (await readReport(dirs, name)).filter((event) => event.event === 'start');

describe('daemon tasks from definition files', () => {
  it('starts every task found at start-up with its env and file secrets (issue 6)', async () => {
    const [start] = await waitFor(async () => {
      const found = await starts('web');
      return found.length > 0 && found;
    }, 'web to start');
    expect(start?.env).toEqual({ PLAIN: 'one', SECRET_API: 'api-v1' });
    expect(start?.files).toEqual({ 'conf/db': canaryValue, 'conf/cert': 'cert-v1' });
    const status = daemon.task('web.json');
    expect(status).toMatchObject({ id: '/web', state: 'running', restarts: 0 });
    expect(status?.ledger.map((entry) => entry.path)).toEqual(['web/api', 'web/cert', 'web/db']);
    expect(JSON.stringify(daemon.daemon.status())).not.toContain(canaryValue);
  });

  it('re-renders a rotated file and sends the task SIGHUP; the ledger records the new hash', async () => {
    const before = daemon.task('web.json');
    const pid = before?.pid;
    await store.setSecret('web/cert', 'cert-v2');
    const signal = await waitFor(
      async () => (await readReport(dirs, 'web')).find((event) => event.event === 'signal'),
      'SIGHUP after rotation',
    );
    expect(signal).toMatchObject({ pid, signal: 'SIGHUP' });
    expect(signal.files?.['conf/cert']).toBe('cert-v2');
    const after = daemon.task('web.json');
    expect(after?.pid).toBe(pid);
    expect(after?.lastRotationAt).toBeDefined();
    const certBefore = before?.ledger.find((entry) => entry.path === 'web/cert');
    const certAfter = after?.ledger.find((entry) => entry.path === 'web/cert');
    expect(certAfter?.sha256).not.toBe(certBefore?.sha256);
    expect(after?.ledger.find((entry) => entry.path === 'web/db')).toEqual(
      before?.ledger.find((entry) => entry.path === 'web/db'),
    );
  });

  it('does nothing when a secret is written again with the same value', async () => {
    const signalsBefore = (await readReport(dirs, 'web')).filter((event) => event.event === 'signal').length;
    await store.setSecret('web/cert', 'cert-v2');
    // A later, real change proves the first one was processed (the feed delivers in order).
    await store.setSecret('web/db', `${canaryValue}-2`);
    await waitFor(
      async () => (await readReport(dirs, 'web')).filter((event) => event.event === 'signal').length > signalsBefore,
      'the next rotation',
    );
    const signals = (await readReport(dirs, 'web')).filter((event) => event.event === 'signal');
    expect(signals.length).toBe(signalsBefore + 1);
    expect(signals.at(-1)?.files?.['conf/db']).toBe(`${canaryValue}-2`);
  });

  it('restarts the task when an env-var secret changes', async () => {
    const pid = daemon.task('web.json')?.pid;
    await store.setSecret('web/api', 'api-v2');
    const restarted = await waitFor(
      async () => (await starts('web')).find((event) => event.pid !== pid),
      'a restart with the new env',
    );
    expect(restarted.env?.['SECRET_API']).toBe('api-v2');
    await waitFor(() => daemon.task('web.json')?.state === 'running' && daemon.task('web.json'), 'running again');
    expect(daemon.task('web.json')?.restarts).toBe(1);
  });

  it('adds, changes, ignores a broken file for, and removes a task', async () => {
    await store.setSecret('jobs/token', 'token-v1');
    await writeApp(
      dirs,
      'jobs.json',
      fixtureApp(dirs, 'jobs', { env: { PLAIN: 'a' }, secrets: { token: 'jobs/token' }, files: { token: 'token' } }),
    );
    const first = await waitFor(async () => (await starts('jobs'))[0], 'jobs to start');
    expect(first.env?.['PLAIN']).toBe('a');
    const secretFile = daemon.daemon.status().tasks.find((task) => task.file === 'jobs.json');
    expect(secretFile?.state).toBe('running');

    await writeApp(
      dirs,
      'jobs.json',
      fixtureApp(dirs, 'jobs', { env: { PLAIN: 'b' }, secrets: { token: 'jobs/token' }, files: { token: 'token' } }),
    );
    const second = await waitFor(
      async () => (await starts('jobs')).find((event) => event.env?.['PLAIN'] === 'b'),
      'jobs to restart with the new definition',
    );
    expect(second.pid).not.toBe(first.pid);

    // Half-written JSON: reported with its position, ignored; the task keeps running as it was.
    await writeFile(join(dirs.appsDir, 'jobs.json'), '{"id": "/jobs", "args": [');
    await waitFor(() => daemon.task('jobs.json')?.definitionError, 'the broken file to be reported');
    expect(daemon.task('jobs.json')).toMatchObject({ state: 'running', pid: second.pid });
    expect(daemon.task('jobs.json')?.definitionError).toMatch(/ERR_INPUT_INVALID: .*line 1, column/);
    // An invalid definition names the JSON pointer.
    await writeApp(dirs, 'jobs.json', { id: '/jobs', args: [process.execPath], env: { X: { secret: 'nope' } } });
    await waitFor(
      () => daemon.task('jobs.json')?.definitionError?.includes('/env/X'),
      'the invalid definition to be reported',
    );
    expect(daemon.task('jobs.json')?.pid).toBe(second.pid);

    const sandboxLink = join(dirs.sandboxRoot, 'jobs', 'token');
    expect(existsSync(sandboxLink)).toBe(true);
    await rm(join(dirs.appsDir, 'jobs.json'));
    await waitFor(() => daemon.task('jobs.json') === undefined, 'jobs to be removed');
    const events = await readReport(dirs, 'jobs');
    expect(events.at(-1)).toMatchObject({ event: 'term', pid: second.pid });
    expect(existsSync(sandboxLink)).toBe(false);
    expect(daemon.daemon.status().rejectedFiles).toEqual([]);
  });

  it('reports a new file that is invalid without starting anything', async () => {
    await writeApp(dirs, 'bad.json', { id: '/bad', cmd: 'true', secrets: { s: { source: '/abs' } } });
    const rejected = await waitFor(
      () => daemon.daemon.status().rejectedFiles.find((file) => file.file === 'bad.json'),
      'bad.json to be rejected',
    );
    expect(rejected.error).toContain('/secrets/s/source');
    expect(daemon.task('bad.json')).toBeUndefined();
    await rm(join(dirs.appsDir, 'bad.json'));
    await waitFor(() => daemon.daemon.status().rejectedFiles.length === 0, 'bad.json to be forgotten');
  });
});
