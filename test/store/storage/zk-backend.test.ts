// The ZooKeeper backend against a real single-member ZooKeeper: the shared storage contract, then
// what only a shared, networked backend has (other instances, ACLs, the record format on the wire).
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { isSecretsAgentError, type ErrorCode } from '../../../src/core/errors.js';
import { maxValueBytes, type StorageBackend } from '../../../src/store/storage/backend.js';
import { type ZooKeeperBackendOptions } from '../../../src/store/storage/zk-backend.js';
import { createZkSession, type ZkSession } from '../../../src/store/storage/zk-client.js';
import { openStorage } from '../../../src/store/storage/open-storage.js';
import { parseZkStorageUrl } from '../../../src/store/storage/zk-url.js';
import { canaryValue } from '../../helpers/canary.js';
import { capturedLogLines, createTestLogger } from '../../helpers/log-capture.js';
import { useZooKeeperEnsemble } from '../../helpers/zookeeper-fixture.js';
import { nextChange, openZkBackend } from './support/zk-backends.js';
import { describeStorageContract } from './contract.js';
import { captureRejection } from '../../helpers/rejection.js';

const auth = 'secrets-agent:zk-test-password';
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

const zk = useZooKeeperEnsemble({ members: 1 });
let admin: ZkSession;
let rootCounter = 0;

beforeAll(async () => {
  admin = await connectRaw(auth);
});

function nextRoot(): string {
  rootCounter += 1;
  return `/secrets-agent-test-${rootCounter}`;
}

function openBackend(rootPath: string, overrides: Partial<ZooKeeperBackendOptions> = {}): Promise<StorageBackend> {
  return openZkBackend(zk, auth, rootPath, overrides);
}

// A plain ZooKeeper client (not the backend), as another program on the ensemble would be.
async function connectRaw(credentials: string | undefined): Promise<ZkSession> {
  return new Promise((resolve) => {
    const session: ZkSession = createZkSession({
      connectionString: zk.ensemble.connectionString,
      sessionTimeoutMs: 20_000,
      auth: credentials,
      onState: (state) => {
        if (state === 'connected') resolve(session);
      },
    });
    zk.track(session);
  });
}

async function removeTree(session: ZkSession, path: string): Promise<void> {
  const children = await session.getChildren(path, false);
  if (!children.ok) return;
  for (const child of children.value.children) await removeTree(session, `${path}/${child}`);
  await session.multi([{ type: 'remove', path, version: -1 }]);
}

// Resolves with the first change matching `predicate` (no sleeping: the watch drives it).
function codeOf(error: unknown): ErrorCode | undefined {
  return isSecretsAgentError(error) ? error.code : undefined;
}

describeStorageContract('zookeeper', async () => {
  const rootPath = nextRoot();
  const backend = await openBackend(rootPath);
  return {
    backend,
    cleanup: async () => {
      await backend.close();
      await removeTree(admin, rootPath);
    },
  };
});

describe('zookeeper backend', () => {
  it("shows a write through one instance to another, driven by the second one's watch", async () => {
    const rootPath = nextRoot();
    const [a, b] = [await openBackend(rootPath), await openBackend(rootPath)];

    const seenByB = nextChange(b, (change) => change.key === 'common/deep/k');
    const version = await a.put('common/deep/k', bytes('from a'));
    expect(await seenByB).toEqual({ key: 'common/deep/k', kind: 'put' });
    expect(await b.get('common/deep/k')).toEqual({ value: bytes('from a'), version });
    expect(await b.list('common')).toEqual(['common/deep/k']);

    const seenByA = nextChange(a, (change) => change.key === 'common/deep/k');
    expect(await b.delete('common/deep/k', { expectedVersion: version })).toBe(true);
    expect(await seenByA).toEqual({ key: 'common/deep/k', kind: 'delete' });
    expect(await a.get('common/deep/k')).toBeUndefined();
    expect(await a.list('')).toEqual([]);
  });

  it('loads what earlier instances stored when it opens', async () => {
    const rootPath = nextRoot();
    const first = await openBackend(rootPath);
    await first.put('a/b', bytes('1'));
    await first.put('a/b/c', bytes('2'));
    await first.put('x', bytes('3'));
    await first.delete('x');
    await first.close();
    const second = await openBackend(rootPath);
    expect(await second.list('')).toEqual(['a/b', 'a/b/c']);
    expect((await second.get('a/b/c'))?.value).toEqual(bytes('2'));
    expect(await second.get('x')).toBeUndefined();
  });

  it('never loses an acknowledged conditional update made through two instances at once', async () => {
    const rootPath = nextRoot();
    const [a, b] = [await openBackend(rootPath), await openBackend(rootPath)];
    const bSeesCounter = nextChange(b, (change) => change.key === 'counter');
    await a.create('counter', bytes('0'));
    await bSeesCounter;

    let acknowledged = 0;
    let conflicts = 0;
    const increment = async (backend: StorageBackend, times: number): Promise<void> => {
      for (let done = 0; done < times;) {
        const entry = await backend.get('counter');
        if (entry === undefined) throw new Error('counter vanished');
        const next = Number(new TextDecoder().decode(entry.value)) + 1;
        try {
          await backend.put('counter', bytes(String(next)), { expectedVersion: entry.version });
          done += 1;
          acknowledged += 1;
        } catch (error) {
          if (codeOf(error) !== 'ERR_STORAGE_CONFLICT') throw error;
          conflicts += 1;
          // Let the watch bring the newer version into this instance's copy before retrying.
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    };
    await Promise.all([a, b, a, b].map((backend) => increment(backend, 15)));
    expect(acknowledged).toBe(60);
    // A third instance reads the tree from the server when it opens.
    const fresh = await openBackend(rootPath);
    expect(new TextDecoder().decode((await fresh.get('counter'))?.value)).toBe('60');
    // Four writers on one key must have collided at least once, or this test proves nothing.
    expect(conflicts).toBeGreaterThan(0);
  });

  it('stores a value above 1 MiB (jute.maxbuffer raised on servers and known to the client) and refuses larger than maxValueBytes', async () => {
    const rootPath = nextRoot();
    const [a, b] = [await openBackend(rootPath), await openBackend(rootPath)];
    const large = new Uint8Array(randomBytes(maxValueBytes));
    const seenByB = nextChange(b, (change) => change.key === 'big');
    const version = await a.put('big', large);
    await seenByB;
    const entry = await b.get('big');
    expect(entry?.version).toBe(version);
    expect(Buffer.from(entry?.value ?? []).equals(Buffer.from(large))).toBe(true);
    expect((await captureRejection(a.put('bigger', new Uint8Array(maxValueBytes + 1)))).code).toBe('ERR_USAGE');
  });

  it('refuses a juteMaxBufferBytes too small for the largest value', async () => {
    const error = await captureRejection(openBackend(nextRoot(), { juteMaxBufferBytes: 1024 * 1024 }));
    expect(codeOf(error)).toBe('ERR_CONFIG_INVALID');
    expect(String((error as Error).message)).toContain('jute.maxbuffer');
  });

  it('creates every znode with a creator-only ACL: other clients get NO_AUTH', async () => {
    const rootPath = nextRoot();
    const backend = await openBackend(rootPath);
    await backend.put('acl/secret', bytes(canaryValue));
    const valuePath = `${rootPath}/data/acl/secret`;

    const anonymous = await connectRaw(undefined);
    expect(await anonymous.getData(valuePath, false)).toEqual({ ok: false, error: 'NO_AUTH' });
    expect(await anonymous.getData(`${rootPath}/data`, false)).toEqual({ ok: false, error: 'NO_AUTH' });
    expect(await anonymous.getData(rootPath, false)).toEqual({ ok: false, error: 'NO_AUTH' });
    expect(await anonymous.multi([{ type: 'setData', path: valuePath, data: Buffer.from('x'), version: -1 }])).toEqual({
      ok: false,
      error: 'NO_AUTH',
    });
    const intruder = await connectRaw('intruder:guess');
    expect(await intruder.getData(valuePath, false)).toEqual({ ok: false, error: 'NO_AUTH' });
    // The same credentials do read it (so the NO_AUTH above is the ACL, not a wrong path).
    const owner = await connectRaw(auth);
    const read = await owner.getData(valuePath, false);
    expect(read.ok && read.value.data.includes(Buffer.from(canaryValue))).toBe(true);
  });

  it('fails to open a root owned by other credentials, without echoing the password', async () => {
    const rootPath = nextRoot();
    await openBackend(rootPath);
    const error = await captureRejection(
      openBackend(rootPath, { auth: 'intruder:not-the-password', operationTimeoutMs: 5_000 }),
    );
    expect(codeOf(error)).toBe('ERR_STORAGE_UNAVAILABLE');
    expect(isSecretsAgentError(error) && error.details?.['zkError']).toBe('NO_AUTH');
    expect(String((error as Error).message)).not.toContain('not-the-password');
  });

  it('reports a znode that is not a storage record as corrupt, and heals when it is rewritten', async () => {
    const rootPath = nextRoot();
    const backend = await openBackend(rootPath);
    await backend.put('c/k', bytes('good'));
    const changed = nextChange(backend, (change) => change.key === 'c/k');
    expect(
      (
        await admin.multi([
          { type: 'setData', path: `${rootPath}/data/c/k`, data: Buffer.from([7, 7, 7]), version: -1 },
        ])
      ).ok,
    ).toBe(true);
    await changed;
    expect((await captureRejection(backend.get('c/k'))).code).toBe('ERR_STORE_CORRUPT');
    expect(await backend.list('c')).toEqual(['c/k']);
    await backend.put('c/k', bytes('fixed'));
    expect((await backend.get('c/k'))?.value).toEqual(bytes('fixed'));
  });

  it('ignores znodes in the tree whose names are not encoded key segments', async () => {
    const rootPath = nextRoot();
    const backend = await openBackend(rootPath);
    await backend.put('n/ok', bytes('1'));
    expect(
      (await admin.multi([{ type: 'create', path: `${rootPath}/data/n/bad%zz`, data: Buffer.from([1]) }])).ok,
    ).toBe(true);
    const marker = nextChange(backend, (change) => change.key === 'n/marker');
    await backend.put('n/marker', bytes('m'));
    await marker;
    expect(await backend.list('n')).toEqual(['n/marker', 'n/ok']);
  });

  it('validates its options with ERR_CONFIG_INVALID naming the option', async () => {
    const cases: Array<[Partial<ZooKeeperBackendOptions>, string]> = [
      [{ connectionString: 'zk://h:2181' }, '`connectionString`'],
      [{ connectionString: '127.0.0.1:2181/chroot' }, '`connectionString`'],
      [{ rootPath: 'relative' }, '`rootPath`'],
      [{ rootPath: '/trailing/' }, '`rootPath`'],
      [{ rootPath: '/zookeeper/x' }, '`rootPath`'],
      [{ auth: 'no-colon' }, '`auth`'],
      [{ sessionTimeoutMs: -1 }, '`sessionTimeoutMs`'],
      [{ operationTimeoutMs: 1.5 }, '`operationTimeoutMs`'],
    ];
    for (const [overrides, named] of cases) {
      const error = await captureRejection(openBackend('/valid', overrides));
      expect(codeOf(error), named).toBe('ERR_CONFIG_INVALID');
      expect(String((error as Error).message)).toContain(named);
    }
  });

  it('fails to open with ERR_STORAGE_UNAVAILABLE when no server answers', async () => {
    const error = await captureRejection(
      openBackend(nextRoot(), { connectionString: '127.0.0.1:1', operationTimeoutMs: 1_000 }),
    );
    expect(codeOf(error)).toBe('ERR_STORAGE_UNAVAILABLE');
  });

  it('never logs a stored value', async () => {
    const backend = await openBackend(nextRoot());
    await backend.put('canary', bytes(canaryValue));
    await backend.delete('canary');
    await backend.close();
    expect(capturedLogLines().some((line) => line.includes('zookeeper storage'))).toBe(true);
    expect(capturedLogLines().filter((line) => line.includes(canaryValue))).toEqual([]);
  });
});

describe('zk:// storage locations', () => {
  it('parses hosts, root path, credentials and timeouts', () => {
    expect(parseZkStorageUrl('zk://h1:2181,h2:2181/secrets-agent')).toEqual({
      connectionString: 'h1:2181,h2:2181',
      rootPath: '/secrets-agent',
    });
    expect(parseZkStorageUrl('zk://h1:2181')).toEqual({ connectionString: 'h1:2181', rootPath: '/secrets-agent' });
    expect(
      parseZkStorageUrl(
        'zk://user:p%40ss@h1:2181/a/b?sessionTimeoutMs=30000&operationTimeoutMs=5000&juteMaxBufferBytes=4194304',
      ),
    ).toEqual({
      connectionString: 'h1:2181',
      rootPath: '/a/b',
      auth: 'user:p@ss',
      sessionTimeoutMs: 30_000,
      operationTimeoutMs: 5_000,
      juteMaxBufferBytes: 4_194_304,
    });
    expect(parseZkStorageUrl('zk://url:cred@h1:2181/', 'given:auth').auth).toBe('given:auth');
  });

  it('rejects malformed locations with ERR_CONFIG_INVALID, never echoing the password', () => {
    for (const location of [
      'zk://',
      'zk:///root',
      'zk://u:hunter2@h:1/r?nope=1',
      'zk://u:hunter2@h:1/r?sessionTimeoutMs=-5',
      'zk://u:%zzhunter2@h:1/r',
    ]) {
      let error: unknown;
      try {
        parseZkStorageUrl(location);
      } catch (caught) {
        error = caught;
      }
      expect(codeOf(error), location).toBe('ERR_CONFIG_INVALID');
      expect(String((error as Error).message)).not.toContain('hunter2');
    }
  });

  it('opens the ZooKeeper backend through openStorage, with credentials from the URL or from `zookeeperAuth`', async () => {
    const rootPath = nextRoot();
    const [user, password] = auth.split(':') as [string, string];
    const first = await openStorage({
      storage: `zk://${user}:${encodeURIComponent(password)}@${zk.ensemble.connectionString}${rootPath}?juteMaxBufferBytes=${zk.ensemble.juteMaxBufferBytes}`,
      log: createTestLogger(),
    });
    zk.track(first);
    expect(first.driver).toBe('zookeeper');
    await first.put('via/url', bytes('1'));
    const second = await openStorage({
      storage: `zk://${zk.ensemble.connectionString}${rootPath}`,
      zookeeperAuth: auth,
    });
    zk.track(second);
    expect((await second.get('via/url'))?.value).toEqual(bytes('1'));
  });
});
