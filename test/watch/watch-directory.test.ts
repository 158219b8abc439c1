import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchDirectory, type DirectoryWatch } from '../../src/watch/index.js';

let watch: DirectoryWatch | undefined;
afterEach(async () => {
  await watch?.close();
});

const nextReport = (reports: string[][]): Promise<string[]> =>
  new Promise((resolve) => {
    const timer = setInterval(() => {
      const report = reports.shift();
      if (report !== undefined) {
        clearInterval(timer);
        resolve(report);
      }
    }, 20);
  });

describe('watchDirectory', () => {
  it('reports an atomic rename and a burst of writes once each, settled, filtered by name', async () => {
    const dir = await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'watch-'));
    const reports: string[][] = [];
    watch = watchDirectory({
      dir,
      accept: (name) => name.endsWith('.json') && !name.startsWith('.'),
      debounceMs: 300,
      onChange: (names) => void reports.push([...names]),
    });
    await watch.ready;
    await writeFile(join(dir, '.a.json.tmp'), '{}');
    await rename(join(dir, '.a.json.tmp'), join(dir, 'a.json'));
    expect(await nextReport(reports)).toEqual(['a.json']);
    for (let index = 0; index < 20; index += 1) await writeFile(join(dir, `b${index % 2}.json`), `{"n":${index}}`);
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    expect(await nextReport(reports)).toEqual(['b0.json', 'b1.json']);
    await rm(join(dir, 'a.json'));
    expect(await nextReport(reports)).toEqual(['a.json']);
    await watch.close();
    await watch.close();
  });
});
