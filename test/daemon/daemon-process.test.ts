// `secrets-agent daemon` as a real child process: SIGHUP with a bad --config keeps the old one,
// SIGUSR1 is ignored, SIGTERM stops the tasks, removes their secret files and exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordLogText } from '../helpers/log-capture.js';
import { startDaemonStore, type DaemonStore } from './support/daemon-store.js';
import {
  createDaemonDirs,
  fixtureApp,
  readReport,
  waitFor,
  writeApp,
  type DaemonDirs,
} from './support/daemon-harness.js';

const mainScript = resolve(import.meta.dirname, '../../src/cli/main.ts');
let store: DaemonStore;
let dirs: DaemonDirs;
let child: ChildProcess;
let stderr = '';
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

beforeAll(async () => {
  store = await startDaemonStore();
  dirs = await createDaemonDirs();
  await store.writeServiceAccount('node-agent', dirs.credentialFile);
  await store.setSecret('proc/key', 'k1');
  await writeApp(dirs, 'proc.json', fixtureApp(dirs, 'proc', { secrets: { key: 'proc/key' }, files: { key: 'key' } }));
  const config = join(dirs.root, 'daemon.json');
  await writeFile(config, JSON.stringify({ pollInterval: '60s', killTimeout: '5s' }));
  child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      mainScript,
      'daemon',
      '--apps-dir',
      dirs.appsDir,
      '--url',
      store.url,
      '--credential-file',
      dirs.credentialFile,
      '--state-dir',
      join(dirs.root, 'state'),
      '--sandbox-root',
      dirs.sandboxRoot,
      '--secret-root',
      dirs.secretRoot,
      '--status-socket',
      dirs.statusSocket,
      '--config',
      config,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env['PATH'], HOME: process.env['HOME'] } },
  );
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    recordLogText(chunk.toString('utf8'));
  });
  exited = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
  await waitFor(() => stderr.includes('"daemon ready"'), 'the daemon to be ready', 60_000);
}, 120_000);

afterAll(async () => {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await store?.close();
  await rm(dirs.secretRoot, { recursive: true, force: true });
});

describe('secrets-agent daemon (process)', () => {
  it('starts the task and answers on its status socket', async () => {
    const start = await waitFor(
      async () => (await readReport(dirs, 'proc')).find((event) => event.event === 'start'),
      'the task to start',
    );
    expect(start.files?.['key']).toBe('k1');
    expect(existsSync(dirs.statusSocket)).toBe(true);
  });

  it('keeps the old configuration when SIGHUP brings an invalid one, and applies a valid one', async () => {
    const config = join(dirs.root, 'daemon.json');
    await writeFile(config, JSON.stringify({ pollInterval: 'soon', restartBudget: 3 }));
    child.kill('SIGHUP');
    await waitFor(
      () => stderr.includes('configuration reload failed; keeping the current configuration'),
      'the reload to be refused',
    );
    expect(stderr).toMatch(/daemon\.json#\/pollInterval/);
    await writeFile(config, JSON.stringify({ pollInterval: '30s' }));
    child.kill('SIGHUP');
    await waitFor(() => stderr.includes('"configuration reloaded"'), 'the reload to be applied');
    expect(child.exitCode).toBeNull();
    expect((await readReport(dirs, 'proc')).filter((event) => event.event === 'start')).toHaveLength(1);
  });

  it('ignores SIGUSR1 (no inspector, no exit)', async () => {
    const reloads = stderr.split('"configuration reloaded"').length;
    child.kill('SIGUSR1');
    child.kill('SIGHUP');
    await waitFor(
      () => stderr.split('"configuration reloaded"').length > reloads,
      'the daemon to answer after SIGUSR1',
    );
    expect(stderr).not.toContain('Debugger listening');
    expect(child.exitCode).toBeNull();
  });

  it('stops tasks gracefully on SIGTERM, removes their secret files, and exits 0', async () => {
    const secretDirs = (await readdir(dirs.secretRoot)).filter((name) => name.startsWith('secrets-agent.'));
    expect(secretDirs).toHaveLength(1);
    child.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
    const events = await readReport(dirs, 'proc');
    expect(events.at(-1)?.event).toBe('term');
    expect((await readdir(dirs.secretRoot)).filter((name) => name.startsWith('secrets-agent.'))).toEqual([]);
    expect(existsSync(join(dirs.sandboxRoot, 'proc', 'key'))).toBe(false);
    expect(existsSync(dirs.statusSocket)).toBe(false);
  });
});
