// Marathon's `user` in the daemon, as root with the real unprivileged `nobody`: the task runs as
// it, its sandbox and secret files belong to it (also after a rotation), and an unknown user is
// that task's error with the JSON pointer while the daemon and its other tasks go on.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryValue } from '../helpers/canary.js';
import { isRoot, nobody } from '../deliver/support/scratch.js';
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

const user = nobody();
let store: DaemonStore | undefined;
let dirs: DaemonDirs | undefined;
let daemon: TestDaemon | undefined;

beforeAll(async () => {
  if (!isRoot) return;
  store = await startDaemonStore();
  dirs = await createDaemonDirs({ taskUser: user });
  await store.writeServiceAccount('node-agent', dirs.credentialFile);
  await store.setSecret('svc-db', canaryValue);
  await store.setSecret('svc-cert', 'cert-v1');
  const secrets = { db: 'svc-db', cert: 'svc-cert' };
  const files = { 'conf/db': 'db', cert: 'cert' };
  await writeApp(dirs, 'as-nobody.json', fixtureApp(dirs, 'as-nobody', { secrets, files, user: 'nobody' }));
  await writeApp(dirs, 'as-ghost.json', fixtureApp(dirs, 'as-ghost', { secrets, files, user: 'no-such-user-7f3a' }));
  daemon = await startTestDaemon(store, dirs);
});

afterAll(async () => {
  await daemon?.stop();
  await store?.close();
  if (dirs !== undefined)
    for (const dir of [dirs.secretRoot, dirs.reports]) await rm(dir, { recursive: true, force: true });
});

describe('daemon tasks with a Marathon `user`', () => {
  it('runs the task as that user, with its sandbox and secret files owned by it', async (context) => {
    if (!isRoot || dirs === undefined || daemon === undefined)
      return context.skip('running tasks as another user needs root');
    const reports = dirs;
    const start = await waitFor(
      async () => (await readReport(reports, 'as-nobody')).find((event) => event.event === 'start'),
      'the task to start',
    );
    expect([start.uid, start.gid]).toEqual([user.uid, user.gid]);
    expect(start.cwdOwner).toEqual(user);
    expect(start.files).toEqual({ 'conf/db': canaryValue, cert: 'cert-v1' });
    expect(start.owners).toEqual({ 'conf/db': user, cert: user });
    expect(daemon.task('as-nobody.json')).toMatchObject({ state: 'running', pid: start.pid });
  });

  it('gives a rotated file to the same user', async (context) => {
    if (!isRoot || dirs === undefined || store === undefined)
      return context.skip('running tasks as another user needs root');
    const reports = dirs;
    await store.setSecret('svc-cert', 'cert-v2');
    const signal = await waitFor(
      async () => (await readReport(reports, 'as-nobody')).find((event) => event.event === 'signal'),
      'SIGHUP after the rotation',
    );
    expect(signal.files?.['cert']).toBe('cert-v2');
    expect(signal.owners?.['cert']).toEqual(user);
  });

  it('fails a task whose user does not exist with an error naming /user, and keeps the daemon up', async (context) => {
    if (!isRoot || dirs === undefined || daemon === undefined)
      return context.skip('running tasks as another user needs root');
    const running = daemon;
    const failed = await waitFor(
      () => running.task('as-ghost.json')?.state === 'failed' && running.task('as-ghost.json'),
      'the task to fail',
    );
    expect(failed.lastError).toMatch(
      /^ERR_APPDEF_INVALID: \/user: cannot run the task as `no-such-user-7f3a`: no such user in \/etc\/passwd$/,
    );
    expect(failed.pid).toBeUndefined();
    expect(await readReport(dirs, 'as-ghost')).toEqual([]);
    expect(running.task('as-nobody.json')?.state).toBe('running');
    expect(running.daemon.status().rejectedFiles).toEqual([]);
  });
});
