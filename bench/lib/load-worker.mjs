// Load generator run in its own process (so it does not share an event loop with the server):
// keeps `connections` requests in flight against one URL for `durationMs`, then prints one JSON line.
import { setTimeout as delay } from 'node:timers/promises';
import { Pool } from 'undici';

const {
  url,
  headers = {},
  connections = 64,
  durationMs = 3000,
  warmupMs = 500,
  method = 'GET',
  body,
} = JSON.parse(process.argv[2] ?? '{}');
const target = new URL(url);
const pool = new Pool(target.origin, { connections, pipelining: 1 });
const path = `${target.pathname}${target.search}`;
const statusCounts = {};
let requests = 0;
let errors = 0;
let counting = false;
let stopped = false;

async function loop() {
  while (!stopped) {
    try {
      const response = await pool.request({ method, path, headers, body });
      await response.body.dump();
      if (counting) {
        requests += 1;
        statusCounts[response.statusCode] = (statusCounts[response.statusCode] ?? 0) + 1;
      }
    } catch {
      if (counting) errors += 1;
    }
  }
}

const loops = Array.from({ length: connections }, loop);
await delay(warmupMs);
counting = true;
const started = performance.now();
await delay(durationMs);
counting = false;
const elapsedMs = performance.now() - started;
stopped = true;
await Promise.all(loops);
await pool.close();
process.stdout.write(
  `${JSON.stringify({ requests, errors, elapsedMs, statusCounts, requestsPerSecond: (requests / elapsedMs) * 1000 })}\n`,
);
