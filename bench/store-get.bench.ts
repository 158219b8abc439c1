// Authenticated GET throughput of the real store (IAM token, a text secret, file storage) against a
// bare node:http server answering the same JSON bytes, both at 64 connections in the same run.
// Interleaved rounds, alternating order: the 2-core machine is shared, so noise falls on both alike.
import { measureThroughput } from './lib/measure-throughput.js';
import type { BenchRow } from './lib/print-table.js';
import { fetchSecretBody, secretUrlPath, startBareServer, startBenchStore } from './lib/iam-store.js';

const suite = 'store-get';
const rounds = 4;
const connections = 64;
const durationMs = 2000;

export default async function storeGetBench(): Promise<BenchRow[]> {
  const store = await startBenchStore();
  const bare = await startBareServer(await fetchSecretBody(store));
  try {
    const headers = { authorization: `token=${store.readerToken}` };
    const measure = async (url: string): Promise<number> => {
      const result = await measureThroughput({ url, headers, connections, durationMs });
      const failures =
        result.errors +
        Object.entries(result.statusCounts)
          .filter(([status]) => status !== '200')
          .reduce((sum, [, count]) => sum + count, 0);
      if (failures > 0) throw new Error(`${url}: ${failures} failed requests (${JSON.stringify(result.statusCounts)})`);
      return result.requestsPerSecond;
    };
    let storeRps = 0;
    let bareRps = 0;
    for (let round = 0; round < rounds; round += 1) {
      if (round % 2 === 0) {
        bareRps += await measure(`${bare.url}${secretUrlPath}`);
        storeRps += await measure(`${store.url}${secretUrlPath}`);
      } else {
        storeRps += await measure(`${store.url}${secretUrlPath}`);
        bareRps += await measure(`${bare.url}${secretUrlPath}`);
      }
    }
    return [
      {
        suite,
        metric: `GET text secret, IAM token (${connections} conns, mean of ${rounds})`,
        value: storeRps / rounds,
        unit: 'req/s',
        baseline: bareRps / rounds,
        baselineName: 'bare node:http',
        target: '>= 0.6',
      },
    ];
  } finally {
    await bare.close();
    await store.close();
  }
}
