// The contract every StorageBackend passes (file, ZooKeeper, ...). Backend-neutral: it talks only
// through the StorageBackend interface; backend-specific checks live in each backend's own test.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSecretsAgentError } from '../../../src/core/errors.js';
import { maxValueBytes, type StorageBackend, type StorageChange } from '../../../src/store/storage/backend.js';
import { expectRejection } from '../../helpers/rejection.js';

export interface OpenedStorage {
  readonly backend: StorageBackend;
  /** Closes the backend (if the test did not) and removes everything it stored. */
  readonly cleanup: () => Promise<void>;
}

/** Watch events may come over the network (ZooKeeper); wait this long before calling one missing. */
const watchTimeoutMs = 15_000;

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

// Registers the shared storage contract as a `describe` block; `open` gives a fresh, empty storage per test.
export function describeStorageContract(name: string, open: () => Promise<OpenedStorage>): void {
  describe(`storage contract: ${name}`, () => {
    let opened: OpenedStorage;
    let storage: StorageBackend;

    beforeEach(async () => {
      opened = await open();
      storage = opened.backend;
    });

    afterEach(async () => {
      await opened.cleanup();
    });

    describe('get, create, put, delete', () => {
      it('reports a known driver and answers ping while open', async () => {
        expect(['file', 'zookeeper']).toContain(storage.driver);
        await expect(storage.ping()).resolves.toBeUndefined();
      });

      it('returns undefined for a missing key', async () => {
        expect(await read(storage, 'contract/missing')).toBeUndefined();
      });

      it('creates a key once; a second create conflicts and leaves the value alone', async () => {
        const version = await storage.create('contract/a', bytes('first'));
        expect(await read(storage, 'contract/a')).toEqual({ value: bytes('first'), version });
        await expectRejection(storage.create('contract/a', bytes('second')), 'ERR_STORAGE_CONFLICT');
        expect(await read(storage, 'contract/a')).toEqual({ value: bytes('first'), version });
      });

      it('puts to create and to replace, with a new version on every write', async () => {
        const seen = new Set<number>();
        for (const text of ['one', 'two', 'three']) {
          const version = await storage.put('contract/p', bytes(text));
          expect(seen.has(version)).toBe(false);
          seen.add(version);
          expect(await read(storage, 'contract/p')).toEqual({ value: bytes(text), version });
        }
      });

      it('deletes a key (true), then reports it gone (false)', async () => {
        await storage.put('contract/d', bytes('x'));
        expect(await storage.delete('contract/d')).toBe(true);
        expect(await read(storage, 'contract/d')).toBeUndefined();
        expect(await storage.delete('contract/d')).toBe(false);
        expect(await storage.list('contract')).toEqual([]);
      });

      it('keeps a value and its children apart: deleting one leaves the other', async () => {
        await storage.put('contract/a/b', bytes('parent'));
        await storage.put('contract/a/b/c', bytes('child'));
        expect((await read(storage, 'contract/a/b'))?.value).toEqual(bytes('parent'));
        expect((await read(storage, 'contract/a/b/c'))?.value).toEqual(bytes('child'));
        expect(await storage.delete('contract/a/b')).toBe(true);
        expect(await read(storage, 'contract/a/b')).toBeUndefined();
        expect((await read(storage, 'contract/a/b/c'))?.value).toEqual(bytes('child'));
        expect(await storage.list('contract/a/b')).toEqual(['contract/a/b/c']);
        await storage.put('contract/a/b', bytes('again'));
        expect(await storage.delete('contract/a/b/c')).toBe(true);
        expect((await read(storage, 'contract/a/b'))?.value).toEqual(bytes('again'));
        expect(await storage.list('contract/a')).toEqual(['contract/a/b']);
      });

      it('does not let a caller change stored bytes through its own buffers', async () => {
        const input = bytes('original');
        await storage.put('contract/own', input);
        input.fill(0x21);
        const first = await storage.get('contract/own');
        expect(new Uint8Array(first?.value ?? [])).toEqual(bytes('original'));
        first?.value.fill(0x22);
        expect((await read(storage, 'contract/own'))?.value).toEqual(bytes('original'));
      });
    });

    describe('versions and conditional writes', () => {
      it('writes with the current expectedVersion and conflicts with any other', async () => {
        const v1 = await storage.create('contract/v', bytes('1'));
        const v2 = await storage.put('contract/v', bytes('2'), { expectedVersion: v1 });
        expect(v2).not.toBe(v1);
        await expectRejection(
          storage.put('contract/v', bytes('stale'), { expectedVersion: v1 }),
          'ERR_STORAGE_CONFLICT',
        );
        expect(await read(storage, 'contract/v')).toEqual({ value: bytes('2'), version: v2 });
        const v3 = await storage.put('contract/v', bytes('3'), { expectedVersion: v2 });
        expect(await read(storage, 'contract/v')).toEqual({ value: bytes('3'), version: v3 });
      });

      it('conflicts when expectedVersion is given for a missing key, and creates nothing', async () => {
        await expectRejection(storage.put('contract/none', bytes('x'), { expectedVersion: 0 }), 'ERR_STORAGE_CONFLICT');
        await expectRejection(storage.put('contract/none', bytes('x'), { expectedVersion: 1 }), 'ERR_STORAGE_CONFLICT');
        expect(await read(storage, 'contract/none')).toBeUndefined();
        await expectRejection(storage.delete('contract/none', { expectedVersion: 1 }), 'ERR_STORAGE_CONFLICT');
      });

      it('deletes conditionally: a stale version conflicts and keeps the key', async () => {
        const v1 = await storage.put('contract/cd', bytes('1'));
        const v2 = await storage.put('contract/cd', bytes('2'));
        await expectRejection(storage.delete('contract/cd', { expectedVersion: v1 }), 'ERR_STORAGE_CONFLICT');
        expect(await read(storage, 'contract/cd')).toEqual({ value: bytes('2'), version: v2 });
        expect(await storage.delete('contract/cd', { expectedVersion: v2 })).toBe(true);
        expect(await read(storage, 'contract/cd')).toBeUndefined();
      });

      it('lets exactly one of many concurrent creates of one key win', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, index) => storage.create('contract/race', bytes(`c${index}`))),
        );
        const winners = results.flatMap((result, index) =>
          result.status === 'fulfilled' ? [{ index, version: result.value }] : [],
        );
        expect(winners).toHaveLength(1);
        for (const result of results)
          if (result.status === 'rejected') expect(codeOf(result.reason)).toBe('ERR_STORAGE_CONFLICT');
        const [winner] = winners;
        expect(await read(storage, 'contract/race')).toEqual({
          value: bytes(`c${winner?.index ?? -1}`),
          version: winner?.version,
        });
      });

      it('acknowledges every one of many concurrent puts to one key; the final value is one of them, at its version', async () => {
        const values = Array.from({ length: 16 }, (_, index) => bytes(`concurrent-${index}`));
        const versions = await Promise.all(values.map((value) => storage.put('contract/hot', value)));
        expect(new Set(versions).size).toBe(values.length);
        const final = await storage.get('contract/hot');
        const index = values.findIndex((value) => Buffer.from(value).equals(Buffer.from(final?.value ?? [])));
        expect(index).toBeGreaterThanOrEqual(0);
        expect(final?.version).toBe(versions[index]);
      });
    });

    describe('list', () => {
      const keys = [
        'l/a',
        'l/a/b',
        'l/a/b/c',
        'l/a/b-c',
        'l/a/bc',
        'l/B',
        'l/\u00e9',
        'l/\u{1F600}',
        'l/\uFFFD',
        'l/z/y/x/w',
        'other/a',
        'lx/a',
      ];

      beforeEach(async () => {
        for (const key of keys) await storage.put(key, bytes(key));
      });

      it('lists every key strictly below a folder, recursively, sorted by UTF-16 code units', async () => {
        // UTF-16 order puts U+1F600 (a surrogate pair, 0xD83D...) before U+FFFD, unlike code-point order.
        expect(await storage.list('l')).toEqual([
          'l/B',
          'l/a',
          'l/a/b',
          'l/a/b-c',
          'l/a/b/c',
          'l/a/bc',
          'l/z/y/x/w',
          'l/\u00e9',
          'l/\u{1F600}',
          'l/\uFFFD',
        ]);
        expect(await storage.list('l/a')).toEqual(['l/a/b', 'l/a/b-c', 'l/a/b/c', 'l/a/bc']);
        expect(await storage.list('l/a/b')).toEqual(['l/a/b/c']);
        expect(await storage.list('l/z')).toEqual(['l/z/y/x/w']);
      });

      it("lists everything for the '' prefix", async () => {
        expect(await storage.list('')).toEqual([...keys].sort());
      });

      it('returns nothing for a name prefix, a leaf, or a missing folder', async () => {
        expect(await storage.list('o')).toEqual([]);
        expect(await storage.list('l/a/b/c')).toEqual([]);
        expect(await storage.list('missing')).toEqual([]);
        expect(await storage.list('l/a/missing/deeper')).toEqual([]);
      });

      it('forgets deleted keys and empty folders', async () => {
        expect(await storage.delete('l/z/y/x/w')).toBe(true);
        expect(await storage.list('l/z')).toEqual([]);
        expect(await storage.list('l')).not.toContain('l/z/y/x/w');
      });
    });

    describe('values and keys', () => {
      it('round-trips binary values byte for byte, including non-UTF-8 bytes and the empty value', async () => {
        const binary = Uint8Array.from([0x76, 0x61, 0x6c, 0x75, 0x65, 0x85, 0xff, 0x33]);
        await storage.put('contract/bin', binary);
        expect((await read(storage, 'contract/bin'))?.value).toEqual(binary);
        const everyByte = Uint8Array.from({ length: 256 }, (_, index) => index);
        await storage.put('contract/every-byte', everyByte);
        expect((await read(storage, 'contract/every-byte'))?.value).toEqual(everyByte);
        await storage.put('contract/empty', new Uint8Array(0));
        expect((await read(storage, 'contract/empty'))?.value).toEqual(new Uint8Array(0));
      });

      it(`round-trips a value of maxValueBytes (${maxValueBytes}) bytes`, async () => {
        const large = new Uint8Array(randomBytes(maxValueBytes));
        const version = await storage.put('contract/large', large);
        const entry = await storage.get('contract/large');
        expect(entry?.version).toBe(version);
        expect(entry?.value.byteLength).toBe(maxValueBytes);
        expect(Buffer.from(entry?.value ?? []).equals(Buffer.from(large))).toBe(true);
      });

      it('keeps keys with odd segment characters distinct and listable', async () => {
        const odd = [
          'odd/%',
          'odd/%25',
          'odd/a%2Fb',
          'odd/..a',
          'odd/...',
          'odd/.hidden',
          'odd/a.',
          'odd/ space ',
          'odd/back\\slash',
          'odd/:*?"<>|',
          'odd/~tilde',
          'odd/v',
          'odd/d',
          'odd/LOCK',
          'odd/.tmp-x',
          'odd/CaSe',
          'odd/case',
          'odd/\u00e9t\u00e9',
          'odd/%C3%A9t%C3%A9',
          'odd/%25C3%25A9t%25C3%25A9',
          'odd/e\u0301',
          'odd/\u{1F510}',
          'odd/tab\there',
          'odd/new\nline',
          `odd/${'x'.repeat(254)}`,
          `odd/${'x'.repeat(255)}`,
          `odd/${'long'.repeat(80)}`,
          `odd/${'\u00fc'.repeat(120)}`,
          `odd/${'\u00fc'.repeat(120)}/child`,
        ];
        for (const key of odd) await storage.put(key, bytes(`value of ${key}`));
        for (const key of odd) expect((await read(storage, key))?.value).toEqual(bytes(`value of ${key}`));
        expect(await storage.list('odd')).toEqual([...odd].sort());
        expect(await read(storage, 'odd/a/b')).toBeUndefined();
      });

      it('rejects keys and prefixes that break the key rules', async () => {
        for (const bad of ['', '/a', 'a/', 'a//b', '.', '..', 'a/..', 'a/./b', '../x', 'a\0b', 'a/\uD800']) {
          await expectRejection(storage.put(bad, bytes('x')), 'ERR_USAGE');
          await expectRejection(storage.get(bad), 'ERR_USAGE');
        }
        for (const bad of ['/', 'a/', '/a', 'a//b', '..']) await expectRejection(storage.list(bad), 'ERR_USAGE');
        expect(await storage.list('')).toEqual([]);
      });
    });

    describe('watch', () => {
      it('tells listeners about puts, creates and deletes in order', async () => {
        const seen = collect(storage);
        await storage.create('watch/a', bytes('1'));
        await storage.put('watch/a', bytes('2'));
        await storage.delete('watch/a');
        await seen.until((changes) => changes.length >= 3);
        expect(seen.changes).toEqual([
          { key: 'watch/a', kind: 'put' },
          { key: 'watch/a', kind: 'put' },
          { key: 'watch/a', kind: 'delete' },
        ]);
        seen.stop();
      });

      it('reports no change for writes that failed or deleted nothing', async () => {
        const version = await storage.put('watch/b', bytes('1'));
        const seen = collect(storage);
        await expectRejection(storage.create('watch/b', bytes('2')), 'ERR_STORAGE_CONFLICT');
        await expectRejection(
          storage.put('watch/b', bytes('3'), { expectedVersion: version + 1 }),
          'ERR_STORAGE_CONFLICT',
        );
        expect(await storage.delete('watch/none')).toBe(false);
        await storage.put('watch/marker', bytes('m'));
        await seen.until((changes) => changes.some((change) => change.key === 'watch/marker'));
        expect(seen.changes).toEqual([{ key: 'watch/marker', kind: 'put' }]);
        seen.stop();
      });

      it('stops calling a listener once unsubscribed', async () => {
        const stopped = collect(storage);
        const still = collect(storage);
        stopped.stop();
        await storage.put('watch/c', bytes('1'));
        await still.until((changes) => changes.length >= 1);
        expect(stopped.changes).toEqual([]);
        still.stop();
      });
    });

    describe('close', () => {
      it('closes twice without error, then refuses work', async () => {
        await storage.put('close/a', bytes('1'));
        await Promise.all([storage.close(), storage.close()]);
        await expect(storage.close()).resolves.toBeUndefined();
        await expectRejection(storage.ping(), 'ERR_STORAGE_UNAVAILABLE');
        await expectRejection(storage.get('close/a'), 'ERR_STORAGE_UNAVAILABLE');
        await expectRejection(storage.put('close/b', bytes('2')), 'ERR_STORAGE_UNAVAILABLE');
      });

      it('finishes writes already in flight before closing', async () => {
        const writes = Array.from({ length: 5 }, (_, index) => storage.put(`close/w${index}`, bytes(`${index}`)));
        const closed = storage.close();
        await expect(Promise.all(writes)).resolves.toHaveLength(5);
        await closed;
      });
    });
  });
}

interface Collector {
  readonly changes: StorageChange[];
  until(predicate: (changes: readonly StorageChange[]) => boolean): Promise<void>;
  stop(): void;
}

function collect(storage: StorageBackend): Collector {
  const changes: StorageChange[] = [];
  let wake: (() => void) | undefined;
  const stop = storage.watch((change) => {
    changes.push({ key: change.key, kind: change.kind });
    wake?.();
  });
  return {
    changes,
    stop,
    until: (predicate) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`watch events did not arrive within ${watchTimeoutMs} ms; got ${JSON.stringify(changes)}`),
            ),
          watchTimeoutMs,
        );
        wake = () => {
          if (!predicate(changes)) return;
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
        wake();
      }),
  };
}

// The entry with its value as a plain Uint8Array: backends may return a Buffer (a subclass), which toEqual tells apart.
async function read(storage: StorageBackend, key: string): Promise<{ value: Uint8Array; version: number } | undefined> {
  const entry = await storage.get(key);
  return entry === undefined ? undefined : { value: new Uint8Array(entry.value), version: entry.version };
}

function codeOf(error: unknown): unknown {
  return isSecretsAgentError(error) ? error.code : error;
}
