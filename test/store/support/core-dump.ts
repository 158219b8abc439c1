// A core dump of a live process with gdb's `gcore`, and a byte search over it: how many times each
// needle occurs. The core lands in a fresh temp directory and is deleted by the caller (`remove()`).
import { execFile } from 'node:child_process';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CoreDump {
  readonly file: string;
  /** Occurrences of each needle (by name) in the whole core file. */
  count(needles: Readonly<Record<string, Uint8Array>>): Promise<Record<string, number>>;
  remove(): Promise<void>;
}

// Dumps `pid` without stopping it for longer than the dump takes.
export async function dumpCore(pid: number): Promise<CoreDump> {
  const dir = await mkdtemp(join(tmpdir(), 'seal-forget-core-'));
  try {
    // Seconds under Node 20 and 24; under Node 22 gdb takes 30-60 s over the same store process.
    await run('gcore', ['-o', join(dir, 'core'), String(pid)], { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const [name] = await readdir(dir);
  if (name === undefined) throw new Error(`gcore wrote no core file for pid ${pid}`);
  const file = join(dir, name);
  return {
    file,
    count: (needles) => countInFile(file, needles),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

// Reads the file in 64 MiB windows that overlap by the longest needle, so no hit is split or counted twice.
async function countInFile(
  file: string,
  needles: Readonly<Record<string, Uint8Array>>,
): Promise<Record<string, number>> {
  const entries = Object.entries(needles).map(([name, bytes]) => [name, Buffer.from(bytes)] as const);
  const overlap = Math.max(...entries.map(([, bytes]) => bytes.length)) - 1;
  const counts: Record<string, number> = Object.fromEntries(entries.map(([name]) => [name, 0]));
  const window = Buffer.alloc(64 * 1024 * 1024 + overlap);
  const handle = await open(file, 'r');
  try {
    let carried = 0;
    for (;;) {
      const { bytesRead } = await handle.read(window, carried, window.length - carried, null);
      const filled = carried + bytesRead;
      const view = window.subarray(0, filled);
      for (const [name, bytes] of entries) {
        // A hit must end past the carried part (hits wholly inside it were counted last round).
        for (let at = view.indexOf(bytes); at !== -1; at = view.indexOf(bytes, at + 1)) {
          if (at + bytes.length > carried) counts[name] = (counts[name] ?? 0) + 1;
        }
      }
      if (bytesRead === 0) break;
      carried = Math.min(overlap, filled);
      window.copy(window, 0, filled - carried, filled);
    }
  } finally {
    await handle.close();
  }
  return counts;
}
