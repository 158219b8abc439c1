// Daemon scale: 1000 definition files, each a trivial sleeping task with one env secret they all
// share. Time from spawn until every task runs (the daemon's readiness line, checked on /status),
// the daemon's RSS then, against the RSS of an idle `node` process measured in the same run.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import type { BenchRow } from './lib/print-table.js';
import { prepareAppsDir, readRssMiB, startBenchDaemon, startBenchStore } from './daemon-support.js';

const taskCount = 1000;

function getStatus(socketPath: string): Promise<{ tasks: { state: string }[] }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/status', agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      res.on('end', () => resolve(JSON.parse(body) as { tasks: { state: string }[] }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function idleNodeRssMiB(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(()=>{},1e9); process.stdout.write("up\\n")'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise((resolve) => child.stdout?.once('data', resolve));
  const rss = await readRssMiB(child.pid as number);
  child.kill('SIGKILL');
  return rss;
}

export default async function scaleBench(): Promise<BenchRow[]> {
  const store = await startBenchStore();
  try {
    await store.setSecret('fleet-token', 'shared-value');
    const appsDir = await prepareAppsDir(store, 'scale');
    for (let index = 0; index < taskCount; index += 1) {
      const app = {
        id: `/sleep-${index}`,
        args: ['sleep', '3600'],
        secrets: { t: { source: 'fleet-token' } },
        env: { FLEET_TOKEN: { secret: 't' } },
      };
      await writeFile(join(appsDir, `sleep-${index}.json`), JSON.stringify(app));
    }
    const baseline = await idleNodeRssMiB();
    const started = performance.now();
    const daemon = startBenchDaemon(store, 'scale');
    await daemon.ready;
    const readyMs = performance.now() - started;
    const status = await getStatus(join(store.root, 'scale', 'daemon.sock'));
    const running = status.tasks.filter((task) => task.state === 'running').length;
    if (running !== taskCount) throw new Error(`expected ${taskCount} running tasks, got ${running}`);
    const rss = await readRssMiB(daemon.child.pid as number);
    const stopStarted = performance.now();
    const code = await daemon.stop();
    const stopMs = performance.now() - stopStarted;
    if (code !== 0) throw new Error(`daemon exited with ${code}`);
    return [
      {
        suite: 'daemon-scale',
        metric: `daemon RSS with ${taskCount} tasks`,
        value: rss,
        unit: 'MiB',
        baseline,
        baselineName: 'idle node',
      },
      { suite: 'daemon-scale', metric: `time until ${taskCount} tasks run`, value: readyMs, unit: 'ms' },
      { suite: 'daemon-scale', metric: `stop ${taskCount} tasks (SIGTERM)`, value: stopMs, unit: 'ms' },
    ];
  } finally {
    await store.close();
  }
}
