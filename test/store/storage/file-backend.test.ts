import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { maxValueBytes, type StorageBackend } from '../../../src/store/storage/backend.js';
import { openFileBackend } from '../../../src/store/storage/file-backend.js';
import { encodeKeyPath } from '../../../src/store/storage/key-codec.js';
import { openStorage } from '../../../src/store/storage/open-storage.js';
import { canaryValue } from '../../helpers/canary.js';
import { createTestLogger } from '../../helpers/log-capture.js';
import { startFixture, type FixtureProcess } from '../../fixtures/storage/run-fixture.js';
import { describeStorageContract } from './contract.js';
import { captureRejection } from '../../helpers/rejection.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : new TextDecoder().decode(value);

async function makeBase(): Promise<string> {
  return mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'file-backend-'));
}

describeStorageContract('file', async () => {
  const base = await makeBase();
  const backend = await openFileBackend({ dir: join(base, 'storage'), log: createTestLogger('warn') });
  return {
    backend,
    cleanup: async () => {
      await backend.close();
      await rm(base, { recursive: true, force: true });
    },
  };
});

// Each test registers what it opened; afterEach closes it all, also when the test failed.
const opened: Array<StorageBackend | FixtureProcess> = [];
afterEach(async () => {
  for (const item of opened.splice(0)) {
    if ('driver' in item) await item.close();
    else if (item.child.exitCode === null && item.child.signalCode === null) {
      item.child.kill('SIGKILL');
      await item.exited;
    }
  }
});

async function open(dir: string): Promise<StorageBackend> {
  const backend = await openFileBackend({ dir, log: createTestLogger('warn') });
  opened.push(backend);
  return backend;
}

function recordFile(dir: string, key: string): string {
  const { folders, file } = encodeKeyPath(key);
  return join(dir, ...folders, file);
}

async function walk(dir: string): Promise<Array<{ path: string; mode: number; isDirectory: boolean }>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return Promise.all(
    entries.map(async (entry) => {
      const path = join(entry.parentPath, entry.name);
      const info = await stat(path);
      return { path, mode: info.mode & 0o777, isDirectory: info.isDirectory() };
    }),
  );
}

describe('file backend: files on disk', () => {
  it('creates record files 0600 and folders 0700, tightening a loose storage directory', async () => {
    const dir = join(await makeBase(), 'storage');
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    const storage = await open(dir);
    await storage.put('a/b/c', bytes('1'));
    await storage.put('a/b', bytes('2'));
    await storage.put(`long/${'\u00fc'.repeat(200)}/x`, bytes('3'));
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const entries = await walk(dir);
    expect(entries.filter((entry) => entry.isDirectory).length).toBeGreaterThanOrEqual(4);
    for (const entry of entries)
      expect([entry.path, entry.mode.toString(8)]).toEqual([entry.path, entry.isDirectory ? '700' : '600']);
  });

  it('keeps every file inside its directory whatever the segments, one record file per key', async () => {
    const base = await makeBase();
    const dir = join(base, 'storage');
    const storage = await open(dir);
    const keys = [
      '..a/b',
      '...',
      'x/%2e%2e',
      'x/%2F..%2F..',
      'x/..%2F',
      'x/~',
      'x/.a',
      'x/a\\..\\..',
      `x/${'.'.repeat(300)}`,
    ];
    for (const key of keys) await storage.put(key, bytes(key));
    expect(await readdir(base)).toEqual(['storage']);
    const files = (await walk(dir)).filter((entry) => !entry.isDirectory).map((entry) => entry.path);
    expect(files.filter((path) => !path.endsWith('/LOCK'))).toHaveLength(keys.length);
    for (const key of keys) expect(text((await storage.get(key))?.value)).toBe(key);
  });

  it('serves the same data, versions and lists after close and reopen; new versions only grow', async () => {
    const dir = join(await makeBase(), 'storage');
    const first = await open(dir);
    const versions = new Map<string, number>();
    const keys = [
      'r/a',
      'r/a/b',
      'r/c/d/e',
      `r/${'z'.repeat(400)}`,
      `r/${'z'.repeat(400)}/child`,
      'r/\u00e9',
      'r/%C3%A9',
      'r/%25',
      'r/%',
      'r/..%2F',
      'r/gone',
    ];
    for (const key of keys) versions.set(key, await first.put(key, bytes(`v:${key}`)));
    const goneVersion = versions.get('r/gone') ?? -1;
    await first.delete('r/gone');
    versions.delete('r/gone');
    await first.close();

    const second = await open(dir);
    expect(await second.list('r')).toEqual([...versions.keys()].sort());
    for (const [key, version] of versions) expect(await second.get(key)).toEqual({ value: bytes(`v:${key}`), version });
    const recreated = await second.create('r/gone', bytes('again'));
    expect(recreated).toBeGreaterThan(Math.max(goneVersion, ...versions.values()));
  });

  it('removes crash leftovers on open and never serves them', async () => {
    const dir = join(await makeBase(), 'storage');
    const first = await open(dir);
    await first.put('t/real', bytes('real'));
    await first.put('t/ghost-source', bytes('ghost'));
    await first.close();
    const ghost = await readFile(recordFile(dir, 't/ghost-source'));
    const folder = join(dir, ...encodeKeyPath('t/real').folders);
    await writeFile(join(dir, '.tmp-0123456789abcdef'), ghost);
    await writeFile(join(folder, '.tmp-fedcba9876543210'), 'half a rec');
    await writeFile(join(dir, 'LOCK.new-crashed'), '{}');
    await writeFile(join(dir, 'LOCK.stale-crashed'), '{}');

    const second = await open(dir);
    const names = (await walk(dir)).map((entry) => entry.path.slice(dir.length + 1));
    expect(names.filter((name) => name.includes('.tmp-') || name.startsWith('LOCK.'))).toEqual([]);
    expect(await second.list('')).toEqual(['t/ghost-source', 't/real']);
    expect(text((await second.get('t/real'))?.value)).toBe('real');
  });

  it('removes folders that deletes left empty on the next open', async () => {
    const dir = join(await makeBase(), 'storage');
    const first = await open(dir);
    await first.put('p/q/r', bytes('1'));
    await first.put('p/keep', bytes('2'));
    await first.delete('p/q/r');
    await first.close();
    await open(dir);
    const folders = (await walk(dir))
      .filter((entry) => entry.isDirectory)
      .map((entry) => entry.path.slice(dir.length + 1));
    expect(folders).toEqual([encodeKeyPath('p/x').folders.join('/')]);
  });

  it('leaves no temp file behind when a write fails, and stays usable', async () => {
    const dir = join(await makeBase(), 'storage');
    const storage = await open(dir);
    await storage.put('f/ok', bytes('ok'));
    // A directory where the record file should go makes the rename fail (EISDIR), even for root.
    await mkdir(recordFile(dir, 'f/blocked'));
    const failed = await captureRejection(storage.put('f/blocked', bytes('x')));
    expect(failed.code).toBe('ERR_STORAGE_UNAVAILABLE');
    expect(failed.message).toContain('f/blocked');
    expect(await storage.get('f/blocked')).toBeUndefined();
    const folder = join(dir, ...encodeKeyPath('f/ok').folders);
    expect((await readdir(folder)).filter((name) => name.startsWith('.tmp-'))).toEqual([]);
    await storage.put('f/ok', bytes('still'));
    expect(text((await storage.get('f/ok'))?.value)).toBe('still');
  });

  it('ignores files it did not write', async () => {
    const dir = join(await makeBase(), 'storage');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(join(dir, 'README'), 'not a record');
    await writeFile(join(dir, 'vnot%zzvalid'), 'not a record either');
    const storage = await open(dir);
    expect(await storage.list('')).toEqual([]);
  });

  it('rejects values above maxValueBytes and bad expectedVersion options', async () => {
    const storage = await open(join(await makeBase(), 'storage'));
    expect((await captureRejection(storage.put('big', new Uint8Array(maxValueBytes + 1)))).code).toBe('ERR_USAGE');
    expect((await captureRejection(storage.put('v', bytes('x'), { expectedVersion: -1 }))).code).toBe('ERR_USAGE');
    expect(await storage.get('big')).toBeUndefined();
  });
});

describe('file backend: integrity', () => {
  it('detects flipped bytes, truncation and moved records, naming the key, and never serves them', async () => {
    const dir = join(await makeBase(), 'storage');
    const longKey = `c/${'\u00e9'.repeat(150)}`;
    const first = await open(dir);
    for (const key of ['c/ok', 'c/flipped', 'c/torn', 'c/moved-from', 'c/moved-to', longKey])
      await first.put(key, bytes(`${canaryValue}:${key}`));
    await first.close();

    const flipped = await readFile(recordFile(dir, 'c/flipped'));
    flipped[flipped.length - 10] = (flipped[flipped.length - 10] ?? 0) ^ 0x01;
    await writeFile(recordFile(dir, 'c/flipped'), flipped);
    const hashed = await readFile(recordFile(dir, longKey));
    hashed[40] = (hashed[40] ?? 0) ^ 0x80;
    await writeFile(recordFile(dir, longKey), hashed);
    await truncate(recordFile(dir, 'c/torn'), (await stat(recordFile(dir, 'c/torn'))).size - 3);
    await rename(recordFile(dir, 'c/moved-from'), recordFile(dir, 'c/moved-to'));

    const log = createTestLogger('warn');
    const second = await openFileBackend({ dir, log });
    opened.push(second);
    expect(text((await second.get('c/ok'))?.value)).toBe(`${canaryValue}:c/ok`);
    for (const key of ['c/flipped', 'c/torn', 'c/moved-to', longKey]) {
      const failure = await captureRejection(second.get(key));
      expect(failure.code).toBe('ERR_STORE_CORRUPT');
      expect(failure.message).toContain(JSON.stringify(key));
      expect(failure.message).not.toContain(canaryValue);
    }
    expect(await second.list('c')).toEqual(['c/flipped', 'c/ok', 'c/torn', 'c/moved-to'].sort());
    expect((await captureRejection(second.create('c/flipped', bytes('new')))).code).toBe('ERR_STORAGE_CONFLICT');
    expect((await captureRejection(second.put('c/flipped', bytes('new'), { expectedVersion: 1 }))).code).toBe(
      'ERR_STORE_CORRUPT',
    );
    // An unconditional write or delete repairs the key.
    await second.put('c/flipped', bytes('repaired'));
    await second.put(longKey, bytes('repaired too'));
    expect(await second.delete('c/torn')).toBe(true);
    expect(text((await second.get('c/flipped'))?.value)).toBe('repaired');
    expect(text((await second.get(longKey))?.value)).toBe('repaired too');
    expect(await second.get('c/torn')).toBeUndefined();
  });
});

describe('file backend: directory lock', () => {
  it('refuses a second open in the same process, naming the directory and pid, until the first closes', async () => {
    const dir = join(await makeBase(), 'storage');
    const first = await open(dir);
    const refused = await captureRejection(open(dir));
    expect(refused.code).toBe('ERR_STORE_LOCKED');
    expect(refused.message).toContain(dir);
    expect(refused.message).toContain(`process ${process.pid}`);
    await first.close();
    await first.close();
    await open(dir);
  });

  it('with lockWaitMs, waits for the holder to close, and names the wait when it never does', async () => {
    const dir = join(await makeBase(), 'storage');
    const first = await open(dir);
    const waiting = openFileBackend({ dir, log: createTestLogger('warn'), lockWaitMs: 5_000 });
    let settled = false;
    void waiting.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(settled).toBe(false);
    await first.close();
    const second = await waiting;
    opened.push(second);
    const refused = await captureRejection(openFileBackend({ dir, log: createTestLogger('warn'), lockWaitMs: 120 }));
    expect(refused.code).toBe('ERR_STORE_LOCKED');
    expect(refused.message).toContain('waited 120 ms');
    expect(refused.details?.['waitedMs']).toBe(120);
    await second.close();
  });

  it('refuses a directory another process holds, and that process refuses ours', async () => {
    const dir = join(await makeBase(), 'storage');
    const holder = startFixture('hold-file-backend.ts', [dir]);
    opened.push(holder);
    const ready = JSON.parse(await holder.waitForLine((line) => line.includes('"event"'))) as {
      event: string;
      pid: number;
    };
    expect(ready.event).toBe('ready');
    const refused = await captureRejection(openFileBackend({ dir, log: createTestLogger('warn') }));
    expect(refused.code).toBe('ERR_STORE_LOCKED');
    expect(refused.message).toContain(`process ${ready.pid}`);
    holder.child.stdin?.end();
    await holder.waitForLine((line) => line.includes('"closed"'));
    await holder.exited;

    const storage = await open(dir);
    expect(text((await storage.get('held/by-child'))?.value)).toBe(String(ready.pid));
    const contender = startFixture('hold-file-backend.ts', [dir]);
    opened.push(contender);
    const answer = JSON.parse(await contender.waitForLine((line) => line.includes('"event"'))) as {
      event: string;
      code: string;
      message: string;
    };
    expect(answer).toMatchObject({ event: 'error', code: 'ERR_STORE_LOCKED' });
    expect(answer.message).toContain(`process ${process.pid}`);
    expect((await contender.exited).code).toBe(3);
  });

  it('takes over the lock of a process killed while holding it', async () => {
    const dir = join(await makeBase(), 'storage');
    const holder = startFixture('hold-file-backend.ts', [dir]);
    opened.push(holder);
    const ready = JSON.parse(await holder.waitForLine((line) => line.includes('"event"'))) as {
      event: string;
      pid: number;
    };
    expect(ready.event).toBe('ready');
    holder.child.kill('SIGKILL');
    await holder.exited;
    const stale = JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8')) as { pid: number };
    expect(stale.pid).toBe(ready.pid);

    const storage = await open(dir);
    expect(text((await storage.get('held/by-child'))?.value)).toBe(String(ready.pid));
    expect((JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8')) as { pid: number }).pid).toBe(process.pid);
  });

  it('takes over a lock whose pid now belongs to a process started at another time (pid reuse)', async () => {
    const dir = join(await makeBase(), 'storage');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const reused = {
      pid: process.pid,
      startTicks: '1',
      hostname: hostname(),
      nonce: 'old',
      acquiredAt: '2020-01-01T00:00:00.000Z',
    };
    await writeFile(join(dir, 'LOCK'), JSON.stringify(reused), { mode: 0o600 });
    const storage = await open(dir);
    await storage.ping();
  });

  it('never takes over a lock held from another host, nor an unreadable one', async () => {
    const dir = join(await makeBase(), 'storage');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const remote = {
      pid: 1,
      startTicks: null,
      hostname: 'elsewhere.example',
      nonce: 'n',
      acquiredAt: '2020-01-01T00:00:00.000Z',
    };
    await writeFile(join(dir, 'LOCK'), JSON.stringify(remote), { mode: 0o600 });
    const refused = await captureRejection(open(dir));
    expect(refused.code).toBe('ERR_STORE_LOCKED');
    expect(refused.message).toContain('elsewhere.example');
    await writeFile(join(dir, 'LOCK'), 'garbage', { mode: 0o600 });
    const unreadable = await captureRejection(open(dir));
    expect(unreadable.code).toBe('ERR_STORE_LOCKED');
    expect(unreadable.message).toContain(dir);
  });

  it('fails ping once its lock file is gone, and removes only its own lock on close', async () => {
    const dir = join(await makeBase(), 'storage');
    const storage = await open(dir);
    await storage.ping();
    await rm(join(dir, 'LOCK'));
    expect((await captureRejection(storage.ping())).code).toBe('ERR_STORAGE_UNAVAILABLE');
    await writeFile(join(dir, 'LOCK'), 'someone else', { mode: 0o600 });
    await storage.close();
    expect(await readFile(join(dir, 'LOCK'), 'utf8')).toBe('someone else');
  });
});

describe('openStorage', () => {
  it('opens the file backend under <dataDir>/storage by default and for `file:`', async () => {
    const dataDir = await makeBase();
    const storage = await openStorage({ dataDir, log: createTestLogger('warn') });
    opened.push(storage);
    expect(storage.driver).toBe('file');
    await storage.put('x', bytes('1'));
    await storage.close();
    const again = await openStorage({ dataDir, storage: 'file:' });
    opened.push(again);
    expect(text((await again.get('x'))?.value)).toBe('1');
    expect((await readdir(dataDir)).sort()).toEqual(['storage']);
  });

  it('opens a file: URL naming an absolute directory', async () => {
    const dir = join(await makeBase(), 'elsewhere');
    const storage = await openStorage({ storage: pathToFileURL(dir).href });
    opened.push(storage);
    await storage.put('y', bytes('2'));
    expect((await readdir(dir)).sort()).toContain('LOCK');
  });

  it('rejects unknown schemes naming the value (without credentials) and a missing dataDir', async () => {
    const unknown = await captureRejection(
      openStorage({ dataDir: '/nonexistent', storage: 's3://admin:hunter2@127.0.0.1:2181/secrets' }),
    );
    expect(unknown.code).toBe('ERR_CONFIG_INVALID');
    expect(unknown.message).toContain('s3://***@127.0.0.1:2181/secrets');
    expect(unknown.message).not.toContain('hunter2');
    expect((await captureRejection(openStorage({ storage: 'nonsense' }))).code).toBe('ERR_CONFIG_INVALID');
    const missing = await captureRejection(openStorage({}));
    expect(missing.code).toBe('ERR_CONFIG_INVALID');
    expect(missing.message).toContain('dataDir');
  });
});
