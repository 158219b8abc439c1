// Shared by the daemon benches: a real store with the IAM in this process, a service account whose
// credential is on disk, and the daemon as a child process (the built CLI when present).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSilentLogger } from '../src/core/log.js';
import { bootstrapIam, createServiceAccountCredential } from '../src/store/iam/bootstrap.js';
import { createIam } from '../src/store/iam/iam.js';
import { createStoreServer } from '../src/store/server.js';
import { openStorage } from '../src/store/storage/open-storage.js';

const builtCli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const sourceCli = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

export interface BenchStore {
  readonly url: string;
  readonly root: string;
  readonly credentialFile: string;
  setSecret(path: string, value: string): Promise<void>;
  close(): Promise<void>;
}

export async function startBenchStore(): Promise<BenchStore> {
  const root = await mkdtemp(join(tmpdir(), 'daemon-bench-'));
  const log = createSilentLogger();
  const storage = await openStorage({ dataDir: join(root, 'store'), log });
  const iam = await createIam({ storage, log });
  const superuser = { uid: 'admin', password: 'bench-admin-password' };
  await bootstrapIam({ iam, superuser });
  const server = await createStoreServer({
    storage,
    access: iam.access,
    routes: iam.routes,
    log,
    listen: { host: '127.0.0.1', port: 0 },
    closeGraceMs: 50,
  });
  const credential = await createServiceAccountCredential({
    iam,
    uid: 'node-agent',
    loginEndpoint: `${server.url}/acs/api/v1/auth/login`,
  });
  await iam.grant({ uid: 'node-agent', rid: 'dcos:secrets:default:/*', action: 'full' }, { createAcl: true });
  const credentialFile = join(root, 'sa.json');
  await writeFile(credentialFile, JSON.stringify(credential), { mode: 0o600 });
  const token = (await iam.login({ uid: superuser.uid, password: superuser.password }, '127.0.0.1')).token;
  return {
    url: server.url,
    root,
    credentialFile,
    async setSecret(path, value) {
      for (const method of ['PATCH', 'PUT']) {
        const status = await send(
          server.url,
          method,
          `/secrets/v1/secret/default/${path}`,
          token,
          JSON.stringify({ value }),
        );
        if (status < 300) return;
        if (status !== 404) throw new Error(`${method} ${path}: ${status}`);
      }
    },
    async close() {
      await server.close();
      await iam.close();
      await storage.close();
    },
  };
}

export interface BenchDaemon {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly appsDir: string;
  readonly sandboxRoot: string;
  stop(): Promise<number | null>;
}

// The apps directory for a daemon called `name`; fill it, then startBenchDaemon().
export async function prepareAppsDir(store: BenchStore, name: string): Promise<string> {
  const appsDir = join(store.root, name, 'apps');
  await mkdir(appsDir, { recursive: true });
  return appsDir;
}

// Spawns the daemon on `<root>/<name>/apps`.
export function startBenchDaemon(store: BenchStore, name: string, extraArgs: readonly string[] = []): BenchDaemon {
  const dir = join(store.root, name);
  const appsDir = join(dir, 'apps');
  const sandboxRoot = join(dir, 'tasks');
  return { appsDir, sandboxRoot, ...launch(store, dir, appsDir, sandboxRoot, extraArgs) };
}

function launch(
  store: BenchStore,
  dir: string,
  appsDir: string,
  sandboxRoot: string,
  extraArgs: readonly string[],
): Omit<BenchDaemon, 'appsDir' | 'sandboxRoot'> {
  const entry = existsSync(builtCli) ? [builtCli] : ['--import', 'tsx', sourceCli];
  const child = spawn(
    process.execPath,
    [
      ...entry,
      'daemon',
      '--apps-dir',
      appsDir,
      '--url',
      store.url,
      '--credential-file',
      store.credentialFile,
      '--state-dir',
      join(dir, 'state'),
      '--sandbox-root',
      sandboxRoot,
      '--secret-root',
      join('/dev/shm', `daemon-bench-${process.pid}`),
      '--status-socket',
      join(dir, 'daemon.sock'),
      '--log-level',
      'info',
      ...extraArgs,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], SECRETS_AGENT_LOG_LEVEL: 'info' },
    },
  );
  let stderr = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (stderr.includes('"daemon ready"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`daemon exited with ${code}: ${stderr.slice(-2000)}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    ready,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

// VmRSS of a process in MiB.
export async function readRssMiB(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kib / 1024;
}

export function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

function send(base: string, method: string, path: string, token: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, base),
      { method, headers: { authorization: `token=${token}`, 'content-type': 'application/json' }, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
