// A writer process is SIGKILLed mid-stream (after N acknowledged writes, several N); every
// acknowledged write must then be readable, whole, and nothing torn or half-written may be served.
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openFileBackend } from '../../../src/store/storage/file-backend.js';
import { createTestLogger } from '../../helpers/log-capture.js';
import { crashValue, crashValueSeq } from '../../fixtures/storage/crash-values.js';
import { startFixture } from '../../fixtures/storage/run-fixture.js';

interface StreamLine {
  readonly event: 'ready' | 'issue' | 'ack';
  readonly key?: string;
  readonly seq?: number;
  readonly version?: number;
}

interface KeyState {
  /** Writes issued to this key (acknowledged or not), by seq. */
  readonly issued: Set<number>;
  /** The newest write known to be on disk: the last acknowledged one, or one found there after a crash. */
  floor: { seq: number; version: number } | undefined;
  /** The last acknowledged write, whose version the reader must see when it finds that write. */
  acked: { seq: number; version: number } | undefined;
}

const killAfterAcks = [0, 1, 7, 40, 150];

describe('file backend crash safety', () => {
  it('keeps every acknowledged write after SIGKILL at different points of a write stream', async () => {
    const dir = join(await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'file-crash-')), 'storage');
    const keys = new Map<string, KeyState>();
    for (const [round, acks] of killAfterAcks.entries()) {
      const lines = await runWriterUntilKilled(dir, acks, round * 1_000_000 + 1);
      expect(lines.filter((line) => line.event === 'ack').length).toBeGreaterThanOrEqual(acks);
      recordLines(keys, lines);
      await verifyStorage(dir, keys);
    }
    expect([...keys.values()].filter((state) => state.acked !== undefined).length).toBeGreaterThan(0);
  });
});

// Starts the writer, SIGKILLs it once `acks` writes were acknowledged, returns everything it printed.
async function runWriterUntilKilled(dir: string, acks: number, firstSeq: number): Promise<StreamLine[]> {
  const writer = startFixture('write-stream.ts', [dir, '4', '6', String(firstSeq)]);
  let acksSeen = 0;
  let linesCounted = 0;
  await writer.waitUntil((lines) => {
    for (; linesCounted < lines.length; linesCounted += 1)
      if (lines[linesCounted]?.includes('"event":"ack"')) acksSeen += 1;
    return acks === 0 ? lines.some((line) => line.includes('"event":"ready"')) : acksSeen >= acks;
  });
  writer.child.kill('SIGKILL');
  const { signal } = await writer.exited;
  expect(signal).toBe('SIGKILL');
  return writer.lines.map((line) => JSON.parse(line) as StreamLine);
}

function recordLines(keys: Map<string, KeyState>, lines: readonly StreamLine[]): void {
  for (const line of lines) {
    if (line.key === undefined || line.seq === undefined) continue;
    let state = keys.get(line.key);
    if (state === undefined) {
      state = { issued: new Set(), floor: undefined, acked: undefined };
      keys.set(line.key, state);
    }
    if (line.event === 'issue') state.issued.add(line.seq);
    if (line.event === 'ack' && line.version !== undefined) {
      state.acked = { seq: line.seq, version: line.version };
      if (state.floor === undefined || line.seq > state.floor.seq) state.floor = state.acked;
    }
  }
}

// Reopens the directory (taking over the killed writer's lock) and checks every key against what was printed.
async function verifyStorage(dir: string, keys: Map<string, KeyState>): Promise<void> {
  const storage = await openFileBackend({ dir, log: createTestLogger('warn') });
  try {
    const listed = await storage.list('crash');
    expect(listed.filter((key) => !keys.has(key))).toEqual([]);
    for (const [key, state] of keys) {
      const entry = await storage.get(key);
      if (state.floor === undefined) {
        if (entry !== undefined) expect(state.issued.has(crashValueSeq(key, entry.value) ?? -1)).toBe(true);
        continue;
      }
      expect(entry, `acknowledged key ${key} is missing`).toBeDefined();
      if (entry === undefined) continue;
      const seq = crashValueSeq(key, entry.value);
      expect(seq, `value of ${key} has no intact tag`).toBeDefined();
      if (seq === undefined) continue;
      expect(state.issued.has(seq)).toBe(true);
      expect(seq).toBeGreaterThanOrEqual(state.floor.seq);
      expect(Buffer.from(entry.value).equals(Buffer.from(crashValue(key, seq))), `value of ${key}#${seq} differs`).toBe(
        true,
      );
      if (seq === state.acked?.seq) expect(entry.version).toBe(state.acked.version);
      expect(entry.version).toBeGreaterThanOrEqual(state.floor.version);
      state.floor = { seq, version: entry.version };
    }
    expect(await findTempFiles(dir)).toEqual([]);
  } finally {
    await storage.close();
  }
}

async function findTempFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.name.startsWith('.tmp-') || entry.name.startsWith('LOCK.'))
    .map((entry) => join(entry.parentPath, entry.name));
}
