// Runs the daemon in-process against a DaemonStore, in fresh directories: apps, sandboxes, secret
// root (on /dev/shm), status socket, reports. Tasks are real child processes (the fixture task).
import { setTimeout as delay } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdtemp, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadDaemonSettings, type DaemonFlags } from '../../../src/daemon/daemon-config.js';
import { startDaemon, type Daemon } from '../../../src/daemon/run-daemon.js';
import type { DaemonTaskStatus } from '../../../src/daemon/task.js';
import { createTestLogger } from '../../helpers/log-capture.js';
import type { DaemonStore } from './daemon-store.js';

export const taskFixture = resolve(import.meta.dirname, '../../fixtures/daemon/task.mjs');

export interface ReportEvent {
  readonly pid: number;
  readonly event: 'start' | 'signal' | 'term';
  readonly signal?: string;
  /** On start: the ids the task runs as. */
  readonly uid?: number;
  readonly gid?: number;
  readonly env?: Record<string, string>;
  readonly files?: Record<string, string | { error: string }>;
  /** Owner of each file (after its link). */
  readonly owners?: Record<string, { uid: number; gid: number } | { error: string }>;
  readonly cwd?: string;
  readonly cwdOwner?: { uid: number; gid: number };
}

export interface DaemonDirs {
  readonly root: string;
  readonly appsDir: string;
  readonly sandboxRoot: string;
  readonly secretRoot: string;
  readonly statusSocket: string;
  readonly credentialFile: string;
  readonly reports: string;
}

export interface DaemonDirsOptions {
  /** Tasks run as this user (an app's `user`): the secret root is opened to it (0711, as the
   * daemon's default /run/secrets-agent is) and its reports go to a directory it owns, outside the
   * test root (which only root may enter); remove `reports` after the test. */
  readonly taskUser?: { readonly uid: number; readonly gid: number };
}

export async function createDaemonDirs(options: DaemonDirsOptions = {}): Promise<DaemonDirs> {
  const root = await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'daemon-'));
  const secretRoot = await mkdtemp('/dev/shm/daemon-test-');
  const { mkdir } = await import('node:fs/promises');
  const dirs = {
    root,
    appsDir: join(root, 'apps'),
    sandboxRoot: join(root, 'tasks'),
    secretRoot,
    statusSocket: join(root, 'run', 'daemon.sock'),
    credentialFile: join(root, 'sa.json'),
    reports: options.taskUser === undefined ? join(root, 'reports') : await mkdtemp(join(tmpdir(), 'daemon-reports-')),
  };
  for (const dir of [dirs.appsDir, dirs.reports]) await mkdir(dir, { recursive: true });
  if (options.taskUser !== undefined) {
    await chmod(secretRoot, 0o711);
    await chown(dirs.reports, options.taskUser.uid, options.taskUser.gid);
  }
  return dirs;
}

// A Marathon app running the fixture task, reporting into `<reports>/<name>.jsonl`.
export function fixtureApp(
  dirs: DaemonDirs,
  name: string,
  parts: {
    env?: Record<string, unknown>;
    files?: Record<string, string>;
    secrets?: Record<string, string>;
    labels?: Record<string, string>;
    user?: string;
    crash?: boolean;
  },
): Record<string, unknown> {
  const files = Object.entries(parts.files ?? {});
  return {
    id: `/${name}`,
    args: [
      process.execPath,
      taskFixture,
      join(dirs.reports, `${name}.jsonl`),
      ...(parts.crash === true ? ['--crash'] : []),
      ...files.map(([path]) => path),
    ],
    env: parts.env ?? {},
    secrets: Object.fromEntries(
      Object.entries(parts.secrets ?? {}).map(([secretName, source]) => [secretName, { source }]),
    ),
    container: { type: 'MESOS', volumes: files.map(([containerPath, secret]) => ({ containerPath, secret })) },
    ...(parts.labels === undefined ? {} : { labels: parts.labels }),
    ...(parts.user === undefined ? {} : { user: parts.user }),
  };
}

// Writes a definition atomically (temp file, rename), as a deployment tool would.
export async function writeApp(dirs: DaemonDirs, file: string, definition: unknown): Promise<void> {
  const temp = join(dirs.appsDir, `.${file}.${randomBytes(4).toString('hex')}`);
  await writeFile(temp, typeof definition === 'string' ? definition : JSON.stringify(definition));
  await rename(temp, join(dirs.appsDir, file));
}

export async function readReport(dirs: DaemonDirs, name: string): Promise<ReportEvent[]> {
  try {
    const text = await readFile(join(dirs.reports, `${name}.jsonl`), 'utf8');
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as ReportEvent);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

// Polls `probe` until it returns a value other than undefined/false; fails after `timeoutMs`.
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

export interface TestDaemon {
  readonly daemon: Daemon;
  task(file: string): DaemonTaskStatus | undefined;
  stop(): Promise<void>;
}

export interface TestDaemonOptions {
  /** Where the daemon finds the store, if not at `store.url` (e.g. a proxy in front of it). */
  readonly url?: string;
  /** A --config file (flags still win over it). */
  readonly configFile?: string;
}

// Starts the daemon in this process with fast restart settings; `flags` override them.
export async function startTestDaemon(
  store: DaemonStore,
  dirs: DaemonDirs,
  flags: DaemonFlags = {},
  options: TestDaemonOptions = {},
): Promise<TestDaemon> {
  const settings = loadDaemonSettings({
    file: options.configFile,
    flags: {
      appsDir: dirs.appsDir,
      sandboxRoot: dirs.sandboxRoot,
      secretRoot: dirs.secretRoot,
      statusSocket: dirs.statusSocket,
      restartDelay: '100ms',
      restartDelayMax: '1s',
      killTimeout: '5s',
      debounce: '100ms',
      changeWait: '30s',
      ...flags,
    },
  });
  // The systemd notification variables are set (to a socket nobody listens on) so the task env
  // assertions prove the daemon keeps them from its tasks.
  const env = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    NOTIFY_SOCKET: join(dirs.root, 'no-notify.sock'),
    WATCHDOG_USEC: '600000000',
  };
  const daemon = await startDaemon({
    settings,
    connection: {
      url: options.url ?? store.url,
      credentialFile: dirs.credentialFile,
      stateDir: join(dirs.root, 'state'),
    },
    io: { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env, cwd: dirs.root },
    log: createTestLogger('debug'),
  });
  return {
    daemon,
    task: (file) => daemon.status().tasks.find((task) => task.file === file),
    stop: () => daemon.stop(),
  };
}
