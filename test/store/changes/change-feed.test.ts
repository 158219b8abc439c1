import { setMaxListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createChangeFeed, type ChangeFeed } from '../../../src/store/changes/change-feed.js';
import type { StorageBackend } from '../../../src/store/storage/backend.js';
import { createTestLogger } from '../../helpers/log-capture.js';
import { openTempStorage } from '../support/temp-storage.js';

const value = new Uint8Array([1, 2, 3]);
let storage: StorageBackend;
let feed: ChangeFeed;

beforeEach(async () => {
  storage = (await openTempStorage()).storage;
  feed = createChangeFeed({ storage, store: 'default', log: createTestLogger() });
});

afterEach(async () => {
  feed.close();
  await storage.close();
});

describe('change feed over real file storage', () => {
  it('without an index answers at once with a reset and the current index', async () => {
    await storage.put('secrets/default/a', value);
    const answer = await feed.poll({ waitMs: 60_000 });
    expect(answer).toEqual({ index: feed.currentIndex(), paths: [], reset: true });
    expect(answer.index).toMatch(/^[0-9a-f]{16}\.1$/);
  });

  it('reports secret paths changed since an index (puts and deletes, sorted, distinct), and nothing else under storage', async () => {
    const start = feed.currentIndex();
    await storage.put('secrets/default/b/x', value);
    await storage.put('secrets/default/a', value);
    await storage.put('secrets/default/b/x', value);
    await storage.delete('secrets/default/a');
    await storage.put('iam/users/alice', value);
    await storage.put('store/default/seal-intent/m1', value);
    await storage.put('secrets/other/z', value);
    const answer = await feed.poll({ index: start, waitMs: 60_000 });
    expect(answer.reset).toBe(false);
    expect(answer.paths).toEqual(['a', 'b/x']);
    expect(answer.index).toBe(feed.currentIndex());
    expect(await feed.poll({ index: answer.index, waitMs: 0 })).toEqual({
      index: answer.index,
      paths: [],
      reset: false,
    });
  });

  it('parks a poll until the next change and returns it', async () => {
    const start = feed.currentIndex();
    const waiting = feed.poll({ index: start, waitMs: 60_000 });
    await waitUntil(() => feed.waiting === 1);
    await storage.put('secrets/default/app/db', value);
    const answer = await waiting;
    expect(answer.paths).toEqual(['app/db']);
    expect(feed.waiting).toBe(0);
  });

  it('with a prefix, waits through changes elsewhere and reports only the folder and what is below it', async () => {
    const start = feed.currentIndex();
    const waiting = feed.poll({ index: start, prefix: 'app', waitMs: 60_000 });
    await waitUntil(() => feed.waiting === 1);
    await storage.put('secrets/default/apple', value);
    await storage.put('secrets/default/other/app', value);
    // Woken by the unrelated changes, the poll parks again.
    await waitUntil(() => feed.waiting === 1);
    await storage.put('secrets/default/app/sub/key', value);
    await storage.put('secrets/default/app', value);
    const answer = await waiting;
    expect(answer.paths.length).toBeGreaterThan(0);
    expect(answer.paths.every((path) => path === 'app' || path.startsWith('app/'))).toBe(true);
    const rest = await feed.poll({ index: start, prefix: 'app', waitMs: 0 });
    expect(rest.paths).toEqual(['app', 'app/sub/key']);
  });

  it('drops paths the visibility check refuses and keeps waiting when none is left', async () => {
    const start = feed.currentIndex();
    const visible = async (paths: readonly string[]): Promise<string[]> =>
      paths.filter((path) => path.startsWith('mine/'));
    const waiting = feed.poll({ index: start, waitMs: 60_000, visible });
    await waitUntil(() => feed.waiting === 1);
    await storage.put('secrets/default/theirs/k', value);
    await waitUntil(() => feed.waiting === 1);
    await storage.put('secrets/default/mine/k', value);
    expect((await waiting).paths).toEqual(['mine/k']);
  });

  it('answers with no changes and the current index when the wait ends', async () => {
    await storage.put('secrets/default/a', value);
    const start = feed.currentIndex();
    const answer = await feed.poll({ index: start, waitMs: 50 });
    expect(answer).toEqual({ index: start, paths: [], reset: false });
  });

  it('resets for an index of another epoch (another process or instance) or one older than the window', async () => {
    const small = createChangeFeed({ storage, store: 'default', log: createTestLogger(), capacity: 4 });
    try {
      const start = small.currentIndex();
      const foreign = `${'0'.repeat(16)}.0`;
      expect((await small.poll({ index: foreign, waitMs: 60_000 })).reset).toBe(true);
      for (let index = 0; index < 5; index += 1) await storage.put(`secrets/default/k${index}`, value);
      const answer = await small.poll({ index: start, waitMs: 60_000 });
      expect(answer).toEqual({ index: small.currentIndex(), paths: [], reset: true });
      const epoch = start.split('.')[0] as string;
      expect((await small.poll({ index: `${epoch}.99`, waitMs: 60_000 })).reset).toBe(true);
    } finally {
      small.close();
    }
  });

  it('refuses a malformed index with ERR_INPUT_INVALID', async () => {
    await expect(feed.poll({ index: 'nonsense', waitMs: 0 })).rejects.toMatchObject({ code: 'ERR_INPUT_INVALID' });
  });

  it('close() answers every parked poll at once with no changes, and stops watching', async () => {
    const start = feed.currentIndex();
    const polls = Array.from({ length: 1000 }, () => feed.poll({ index: start, waitMs: 300_000 }));
    await waitUntil(() => feed.waiting === 1000);
    feed.close();
    const answers = await Promise.all(polls);
    expect(answers.every((answer) => answer.paths.length === 0 && !answer.reset && answer.index === start)).toBe(true);
    await storage.put('secrets/default/after-close', value);
    expect(feed.currentIndex()).toBe(start);
    feed.close();
  });

  it('an aborted poll leaves no waiter behind', async () => {
    const controller = new AbortController();
    setMaxListeners(200, controller.signal);
    const polls = Array.from({ length: 100 }, () =>
      feed.poll({ index: feed.currentIndex(), waitMs: 300_000, signal: controller.signal }),
    );
    await waitUntil(() => feed.waiting === 100);
    controller.abort(new Error('gone'));
    const results = await Promise.allSettled(polls);
    expect(results.every((result) => result.status === 'rejected')).toBe(true);
    expect(feed.waiting).toBe(0);
  });
});

async function waitUntil(predicate: () => boolean): Promise<void> {
  for (let turn = 0; !predicate(); turn += 1) {
    if (turn > 10_000) throw new Error('condition not reached');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
