// The daemon's status API and sd_notify: latency of `GET /status` with 1000 tasks and of
// `GET /metrics`, each against a bare node:http server on a unix socket answering `{}` (the
// floor of one local HTTP round trip), and one sd_notify (a systemd-notify process plus its
// barrier round trip) against spawning /bin/true (the floor of any process per message).
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createSilentLogger } from '../src/core/log.js';
import { startStatusServer } from '../src/daemon/status-server.js';
import type { DaemonStatus, TaskStatus } from '../src/daemon/status-types.js';
import { createDaemonMetrics, recordTaskGauges } from '../src/metrics/daemon-metrics.js';
import { createMetricsRegistry } from '../src/metrics/registry.js';
import { notifySystemd } from '../src/systemd/sd-notify.js';
import type { BenchRow } from './lib/print-table.js';

const taskCount = 1000;
const requests = 200;
const notifications = 40;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function timeEach(count: number, action: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const started = process.hrtime.bigint();
    await action();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return samples;
}

function getOverSocket(socketPath: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, agent: false }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      response.on('end', () => resolve(bytes));
    });
    req.on('error', reject);
    req.end();
  });
}

function makeStatus(): DaemonStatus {
  const now = new Date().toISOString();
  const tasks: TaskStatus[] = Array.from({ length: taskCount }, (_unused, index) => ({
    id: `/group-${index % 20}/app-${index}`,
    file: `/etc/secrets-agent/apps/app-${index}.json`,
    state: 'running',
    pid: 10_000 + index,
    restarts: index % 3,
    lastStartAt: now,
    lastRotationAt: now,
    ledger: [0, 1, 2].map((secret) => ({
      path: `group-${index % 20}/secret-${secret}`,
      sha256: 'f'.repeat(64),
      deliveredAt: now,
    })),
  }));
  return {
    version: '0.1.0',
    startedAt: now,
    pid: process.pid,
    store: { url: 'https://127.0.0.1:8200', feed: 'change-feed' },
    token: { expiresAt: now, renewals: 4 },
    tasks,
  };
}

async function benchHttp(dir: string): Promise<BenchRow[]> {
  const status = makeStatus();
  const registry = createMetricsRegistry();
  const metrics = createDaemonMetrics(registry);
  for (const code of ['ERR_STORE_UNREACHABLE', 'ERR_TIMEOUT', 'ERR_FORBIDDEN', 'ERR_SECRET_NOT_FOUND'])
    metrics.fetchFailures.inc({ code }, 3);
  for (let index = 0; index < 500; index += 1) metrics.fetchDuration.observe(index / 1000);
  registry.onCollect(() => recordTaskGauges(metrics, status.tasks));
  const server = await startStatusServer({
    socketPath: join(dir, 'status.sock'),
    getStatus: () => status,
    metrics: registry,
    log: createSilentLogger(),
  });
  const bare = createServer((_request, response) => response.end('{}'));
  const bareSocket = join(dir, 'bare.sock');
  await new Promise<void>((resolve) => bare.listen(bareSocket, resolve));
  try {
    await timeEach(20, () => getOverSocket(bareSocket, '/'));
    await timeEach(20, () => getOverSocket(server.socketPath, '/status'));
    const baseline = median(await timeEach(requests, () => getOverSocket(bareSocket, '/')));
    const statusMs = median(await timeEach(requests, () => getOverSocket(server.socketPath, '/status')));
    const metricsMs = median(await timeEach(requests, () => getOverSocket(server.socketPath, '/metrics')));
    const statusBytes = await getOverSocket(server.socketPath, '/status');
    return [
      {
        suite: 'status-api',
        metric: `GET /status, ${taskCount} tasks, median`,
        value: statusMs,
        unit: 'ms',
        baseline,
        baselineName: 'bare http {}',
        target: '<= 50',
      },
      { suite: 'status-api', metric: `GET /status, ${taskCount} tasks, size`, value: statusBytes / 1024, unit: 'KiB' },
      {
        suite: 'status-api',
        metric: 'GET /metrics, median',
        value: metricsMs,
        unit: 'ms',
        baseline,
        baselineName: 'bare http {}',
        target: '<= 5',
      },
    ];
  } finally {
    await server.close();
    await new Promise((resolve) => bare.close(resolve));
  }
}

async function benchNotify(dir: string): Promise<BenchRow[]> {
  const socketPath = join(dir, 'notify.sock');
  const receiverScript = fileURLToPath(new URL('../test/systemd/fixtures/notify-receiver.py', import.meta.url));
  const receiver = spawn('/usr/bin/python3', [receiverScript, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: receiver.stdout });
  await new Promise<void>((resolve) => lines.once('line', () => resolve()));
  try {
    const env = { NOTIFY_SOCKET: socketPath };
    const spawnTrue = (): Promise<void> => new Promise((resolve) => execFile('/bin/true', () => resolve()));
    await timeEach(5, spawnTrue);
    await timeEach(5, () => notifySystemd('STATUS=warm-up', { env }));
    const baseline = median(await timeEach(notifications, spawnTrue));
    const notifyMs = median(await timeEach(notifications, () => notifySystemd('STATUS=bench', { env })));
    return [
      {
        suite: 'status-api',
        metric: 'sd_notify (systemd-notify), median',
        value: notifyMs,
        unit: 'ms',
        baseline,
        baselineName: 'spawn /bin/true',
        target: '<= 5',
      },
    ];
  } finally {
    receiver.kill('SIGKILL');
  }
}

export default async function run(): Promise<BenchRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-status-'));
  try {
    return [...(await benchHttp(dir)), ...(await benchNotify(dir))];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
