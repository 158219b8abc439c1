import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ParsedSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number | 'NaN' | '+Inf' | '-Inf';
}

export interface ParsedFamily {
  /** As the Prometheus client names it: a counter's family drops the `_total` suffix. */
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: readonly ParsedSample[];
}

const script = fileURLToPath(new URL('./parse-exposition.py', import.meta.url));

// Parses exposition text with Prometheus' Python client (an independent implementation); rejects
// with the parser's error when the text is not valid format 0.0.4.
export function parseExposition(text: string): Promise<ParsedFamily[]> {
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/python3', [script], { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error !== null)
        return reject(new Error(`prometheus_client rejected the text: ${stderr.trim().split('\n').at(-1) ?? ''}`));
      resolve(JSON.parse(stdout) as ParsedFamily[]);
    });
    child.stdin?.end(text);
  });
}

// The one sample of `families` with this name and these labels.
export function sampleValue(
  families: readonly ParsedFamily[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): ParsedSample['value'] | undefined {
  for (const family of families) {
    for (const sample of family.samples) {
      if (sample.name !== name) continue;
      const keys = Object.keys(sample.labels);
      if (keys.length === Object.keys(labels).length && keys.every((key) => sample.labels[key] === labels[key]))
        return sample.value;
    }
  }
  return undefined;
}
