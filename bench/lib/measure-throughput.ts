import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ThroughputOptions {
  url: string;
  headers?: Record<string, string>;
  connections?: number;
  durationMs?: number;
  warmupMs?: number;
  method?: string;
  body?: string;
}

export interface ThroughputResult {
  requestsPerSecond: number;
  requests: number;
  errors: number;
  statusCounts: Record<string, number>;
}

const worker = fileURLToPath(new URL('./load-worker.mjs', import.meta.url));

// Measures requests per second against `url` from a separate load-generator process.
export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [worker, JSON.stringify(options)], { maxBuffer: 1 << 20 }, (error, out) =>
      error ? reject(error) : resolve(out),
    );
  });
  return JSON.parse(stdout) as ThroughputResult;
}
