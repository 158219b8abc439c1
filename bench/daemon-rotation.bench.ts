// Rotation latency: a secret updated in the store -> the new content readable in the task's file
// (through its sandbox link), 100 updates with the change feed (median, p99; target p99 < 1 s),
// and a few in poll mode (--no-change-feed, 1 s interval) for comparison. Baseline: the store
// write itself (PATCH round trip), measured in the same loop.
import { setTimeout as delay } from 'node:timers/promises';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import type { BenchRow } from './lib/print-table.js';
import { percentile, prepareAppsDir, startBenchDaemon, startBenchStore, type BenchStore } from './daemon-support.js';

const feedUpdates = 100;
const pollUpdates = 10;

async function measure(
  store: BenchStore,
  name: string,
  updates: number,
  extraArgs: readonly string[],
): Promise<{ latencies: number[]; writes: number[] }> {
  const appsDir = await prepareAppsDir(store, name);
  const app = {
    id: '/bench',
    args: ['sleep', '3600'],
    secrets: { v: { source: 'bench/value' } },
    container: { type: 'MESOS', volumes: [{ containerPath: 'value', secret: 'v' }] },
    labels: { SECRETS_AGENT_ON_CHANGE: 'none' },
  };
  await writeFile(join(appsDir, 'bench.json'), JSON.stringify(app));
  const daemon = startBenchDaemon(store, name, extraArgs);
  await daemon.ready;
  const file = join(daemon.sandboxRoot, 'bench', 'value');
  const latencies: number[] = [];
  const writes: number[] = [];
  try {
    for (let index = 1; index <= updates; index += 1) {
      const value = `${name}-${index}`;
      const started = performance.now();
      await store.setSecret('bench/value', value);
      writes.push(performance.now() - started);
      for (;;) {
        const content = await readFile(file, 'utf8').catch(() => '');
        if (content === value) break;
        await delay(2);
      }
      latencies.push(performance.now() - started);
    }
  } finally {
    await daemon.stop();
  }
  return { latencies, writes };
}

export default async function rotationBench(): Promise<BenchRow[]> {
  const store = await startBenchStore();
  try {
    await store.setSecret('bench/value', 'initial');
    const feed = await measure(store, 'feed', feedUpdates, []);
    const poll = await measure(store, 'poll', pollUpdates, ['--no-change-feed', '--poll-interval', '1s']);
    const writeMedian = percentile(feed.writes, 0.5);
    return [
      {
        suite: 'daemon-rotation',
        metric: `change feed median (${feedUpdates} updates)`,
        value: percentile(feed.latencies, 0.5),
        unit: 'ms',
        baseline: writeMedian,
        baselineName: 'store write',
      },
      {
        suite: 'daemon-rotation',
        metric: `change feed p99 (${feedUpdates} updates; target < 1000 ms)`,
        value: percentile(feed.latencies, 0.99),
        unit: 'ms',
        baseline: writeMedian,
        baselineName: 'store write',
      },
      {
        suite: 'daemon-rotation',
        metric: `poll 1 s median (${pollUpdates} updates)`,
        value: percentile(poll.latencies, 0.5),
        unit: 'ms',
        baseline: percentile(feed.latencies, 0.5),
        baselineName: 'change feed',
      },
    ];
  } finally {
    await store.close();
  }
}
