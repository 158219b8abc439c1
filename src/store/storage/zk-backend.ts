// The ZooKeeper storage backend: keys live in a znode tree shared by every store instance.
//
// Layout: `<rootPath>/data/<seg1>/<seg2>/...`, one znode per key segment (zk-path.ts), so
// `list(prefix)` is a walk of one subtree and a key can have a value and children at once. The
// znode's data says whether the key has a value (zk-record.ts); a delete overwrites the data with a
// tombstone instead of removing the znode, and znodes are never removed. That keeps each key's
// znode version growing for ever, so the version we hand out (the znode data version) is never
// reused for a different value, and a conditional write is one `setData(path, data, version)`.
//
// Reads come from an in-memory mirror (zk-cache.ts) kept coherent by watches: every znode carries
// a data watch and a child watch, re-armed by the read that answers each notification, and the
// whole tree is re-read after every reconnect and on a new session. While disconnected, reads are
// served from the mirror for at most one session timeout (after that the session is presumed
// expired, a new one is opened and reads wait for its resync); writes wait for a connection.
// `get(key, { fresh: true })` skips the mirror (a sync barrier, then a server read) for callers
// that must not act on a lagging copy: an update or a 404 of a key another instance just wrote.
//
// Every call has a deadline (`operationTimeoutMs`): no call hangs on a lost quorum, it fails with
// ERR_STORAGE_UNAVAILABLE. A write whose connection broke before the answer came has an unknown
// outcome; each write carries a random id in the znode data, so the backend reads the znode back:
// our id there means it was applied (success); the znode unchanged since we wrote means it was not
// (retry); anything else is reported as ERR_STORAGE_UNAVAILABLE, never as success.
import { SecretsAgentError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { describeValue } from '../../config/describe-value.js';
import {
  maxValueBytes,
  type GetOptions,
  type PutOptions,
  type StorageBackend,
  type StorageChange,
  type StorageEntry,
} from './backend.js';
import { assertStorageKey, assertStoragePrefix } from './key-codec.js';
import { ZkKeyCache } from './zk-cache.js';
import {
  createZkSession,
  type ZkErrorName,
  type ZkOp,
  type ZkResult,
  type ZkSession,
  type ZkStat,
  type ZkState,
  type ZkWatchEvent,
} from './zk-client.js';
import {
  resolveZooKeeperBackendOptions,
  type ZooKeeperBackendConfig,
  type ZooKeeperBackendOptions,
} from './zk-options.js';
import { decodeZkSegment, zkPathOfKey } from './zk-path.js';
import {
  createWriteId,
  encodeTombstoneRecord,
  encodeValueRecord,
  folderRecordData,
  parseZkRecord,
} from './zk-record.js';

export type { ZooKeeperBackendOptions } from './zk-options.js';

/** What a write knows about a key's znode before writing; `fresh` when read from the server just now. */
type Observed =
  | { readonly exists: false; readonly fresh: boolean }
  | {
      readonly exists: true;
      readonly fresh: boolean;
      readonly version: number;
      readonly hasValue: boolean;
      readonly writeId: string | undefined;
    };

type WriteOutcome =
  | { readonly kind: 'ok'; readonly stat: ZkStat }
  | { readonly kind: 'NO_NODE' | 'NODE_EXISTS' | 'BAD_VERSION' | 'LOST' };

/** Bound on write attempts in one call (conflicts with other writers, reconnects); the deadline usually ends it first. */
const maxWriteAttempts = 50;
/** Concurrent znode reads during a resync. */
const maxSyncReads = 64;
const pingTimeoutMs = 5_000;

// Connects to ZooKeeper, creates `rootPath` if needed and loads the key tree; ERR_STORAGE_UNAVAILABLE if that fails in time.
export async function openZooKeeperBackend(options: ZooKeeperBackendOptions): Promise<StorageBackend> {
  return ZooKeeperBackend.open(resolveZooKeeperBackendOptions(options));
}

class ZooKeeperBackend implements StorageBackend {
  readonly driver = 'zookeeper' as const;
  readonly #config: ZooKeeperBackendConfig;
  readonly #log: Logger;
  readonly #dataPath: string;
  readonly #cache: ZkKeyCache;
  readonly #listeners = new Set<(change: StorageChange) => void>();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #wakers = new Set<() => void>();
  readonly #syncSlots: { free: number; queue: Array<() => void> } = { free: maxSyncReads, queue: [] };
  readonly #unreadableNames = new Set<string>();
  #session!: ZkSession;
  #sessionGeneration = 0;
  #syncEpoch = 0;
  /** The mirror holds the current session's view (first resync of this session done). */
  #cacheReady = false;
  #disconnectedAtMs: number | undefined;
  #negotiatedTimeoutMs: number;
  #expiryTimer: NodeJS.Timeout | undefined;
  /** A non-retryable failure while preparing the root (e.g. NO_AUTH), reported by open(). */
  #fatal: SecretsAgentError | undefined;
  /** The last error other than a connection loss met while reading the tree. */
  #syncError: ZkErrorName | undefined;
  #closing: Promise<void> | undefined;
  #closed = false;

  private constructor(config: ZooKeeperBackendConfig) {
    this.#config = config;
    this.#log = config.log;
    this.#dataPath = `${config.rootPath}/data`;
    this.#negotiatedTimeoutMs = config.sessionTimeoutMs;
    this.#cache = new ZkKeyCache((change) => this.#emit(change));
  }

  static async open(config: ZooKeeperBackendConfig): Promise<ZooKeeperBackend> {
    const backend = new ZooKeeperBackend(config);
    const { connectionString, rootPath } = config;
    if (config.auth === undefined) {
      config.log.warn(
        { connectionString, rootPath },
        'zookeeper storage: no `auth` given, znodes are created world-readable and world-writable',
      );
    }
    backend.#startSession();
    const deadline = Date.now() + config.operationTimeoutMs;
    const ready = await backend.#waitFor(() => backend.#cacheReady || backend.#fatal !== undefined, deadline);
    if (!ready || backend.#fatal !== undefined) {
      await backend.close();
      throw (
        backend.#fatal ??
        unavailable(
          `cannot reach ZooKeeper at ${connectionString} (no session and tree load within ${config.operationTimeoutMs} ms)`,
          {
            connectionString,
            rootPath,
          },
        )
      );
    }
    config.log.info(
      { connectionString, rootPath, sessionId: backend.#session.sessionIdHex, znodes: backend.#cache.size },
      'zookeeper storage opened',
    );
    return backend;
  }

  async get(key: string, options: GetOptions = {}): Promise<StorageEntry | undefined> {
    this.#assertOpen();
    assertStorageKey(key);
    if (options.fresh === true) return this.#track(() => this.#getFresh(key));
    // The common case (connected, mirror loaded) costs no extra promise.
    if (!this.#readableCache()) await this.#awaitReadableCache(key);
    const node = this.#cache.get(key);
    if (node?.corrupt === true) throw this.#corruptError(key);
    if (node?.value === undefined) return undefined;
    return { value: new Uint8Array(node.value), version: node.version };
  }

  async list(prefix: string): Promise<string[]> {
    this.#assertOpen();
    assertStoragePrefix(prefix);
    await this.#awaitReadableCache(prefix);
    return this.#cache.list(prefix);
  }

  async create(key: string, value: Uint8Array): Promise<number> {
    this.#assertOpen();
    assertStorageKey(key);
    assertValue(value);
    return this.#track(() => this.#writeValue(key, value, 'create'));
  }

  async put(key: string, value: Uint8Array, options: PutOptions = {}): Promise<number> {
    this.#assertOpen();
    assertStorageKey(key);
    assertValue(value);
    const expected = parseExpectedVersion(options);
    return this.#track(() =>
      expected === undefined ? this.#writeValue(key, value, 'put') : this.#putIf(key, value, expected),
    );
  }

  async delete(key: string, options: PutOptions = {}): Promise<boolean> {
    this.#assertOpen();
    assertStorageKey(key);
    const expected = parseExpectedVersion(options);
    return this.#track(() => (expected === undefined ? this.#deleteAny(key) : this.#deleteIf(key, expected)));
  }

  watch(listener: (change: StorageChange) => void): () => void {
    this.#assertOpen();
    const wrapped = (change: StorageChange): void => listener(change);
    this.#listeners.add(wrapped);
    return () => {
      this.#listeners.delete(wrapped);
    };
  }

  connected(): boolean {
    return this.#session.state === 'connected';
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    const session = this.#session;
    if (session.state !== 'connected') {
      throw unavailable(
        `ZooKeeper at ${this.#config.connectionString} is not connected (${session.state})`,
        this.#details(),
      );
    }
    const deadline = Date.now() + Math.min(pingTimeoutMs, this.#config.operationTimeoutMs);
    const result = await this.#request(deadline, 'ping', (current) => current.exists(this.#dataPath), false);
    if (!result.ok || result.value === undefined) {
      throw unavailable(
        `ZooKeeper at ${this.#config.connectionString} did not confirm ${this.#dataPath} (${result.ok ? 'NO_NODE' : result.error})`,
        this.#details(),
      );
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    // Writes already in flight finish first (they may still be waiting for a connection).
    await Promise.allSettled([...this.#inFlight]);
    this.#closed = true;
    clearTimeout(this.#expiryTimer);
    this.#listeners.clear();
    this.#wake();
    await this.#session.close().catch(() => undefined);
    this.#log.info(
      { connectionString: this.#config.connectionString, rootPath: this.#config.rootPath },
      'zookeeper storage closed',
    );
  }

  // ---- writes -------------------------------------------------------------------------------

  // Create (`create`: refuses an existing value) or create-or-replace (`put`). For `put` the
  // mirror's version is only a hint (setData with -1 does not need it); it matters after a
  // connection loss, where "unchanged since the hint" proves our write was not applied.
  async #writeValue(key: string, value: Uint8Array, mode: 'create' | 'put'): Promise<number> {
    const deadline = this.#deadline();
    const writeId = createWriteId();
    const record = encodeValueRecord(writeId, value);
    const path = this.#path(key);
    let pre = this.#hint(key);
    for (let attempt = 0; ; attempt += 1) {
      this.#assertAttempts(attempt, key, mode);
      if (mode === 'create' && pre.exists && pre.hasValue) {
        // The mirror may lag behind another instance's delete: only the server can say "exists".
        if (pre.fresh) throw conflict(`storage key ${JSON.stringify(key)} already exists`, key);
        pre = await this.#read(key, deadline);
        continue;
      }
      const ops = pre.exists ? [setOp(path, record, mode === 'create' ? pre.version : -1)] : createOps(path, record);
      const outcome = await this.#write(key, ops, deadline);
      switch (outcome.kind) {
        case 'ok':
          return this.#acknowledge(key, outcome.stat, record);
        case 'NO_NODE':
          if (!pre.exists) await this.#ensureParents(key, deadline);
          pre = { exists: false, fresh: false };
          break;
        case 'NODE_EXISTS':
        case 'BAD_VERSION':
          pre = await this.#read(key, deadline);
          break;
        case 'LOST': {
          const recovered = await this.#recover(key, writeId, pre, deadline);
          if (recovered.applied) return this.#acknowledge(key, recovered.stat, record);
          pre = recovered.observed;
        }
      }
    }
  }

  async #putIf(key: string, value: Uint8Array, expected: number): Promise<number> {
    const deadline = this.#deadline();
    const writeId = createWriteId();
    const record = encodeValueRecord(writeId, value);
    return this.#writeIfVersion(key, record, writeId, expected, deadline, 'put');
  }

  async #deleteIf(key: string, expected: number): Promise<boolean> {
    const deadline = this.#deadline();
    const writeId = createWriteId();
    await this.#writeIfVersion(key, encodeTombstoneRecord(writeId), writeId, expected, deadline, 'delete');
    return true;
  }

  // setData at exactly `expected`. A version seen with a value (in the mirror or fresh) names one
  // state for ever (znodes are never removed), so a successful setData proves the key was there.
  async #writeIfVersion(
    key: string,
    record: Buffer,
    writeId: string,
    expected: number,
    deadline: number,
    what: string,
  ): Promise<number> {
    const path = this.#path(key);
    const matches = (observed: Observed): boolean =>
      observed.exists && observed.hasValue && observed.version === expected;
    let pre = this.#hint(key);
    if (!matches(pre)) pre = await this.#read(key, deadline);
    for (let attempt = 0; ; attempt += 1) {
      this.#assertAttempts(attempt, key, what);
      if (!matches(pre)) throw versionConflict(key, expected, pre);
      const outcome = await this.#write(key, [setOp(path, record, expected)], deadline);
      switch (outcome.kind) {
        case 'ok':
          return this.#acknowledge(key, outcome.stat, record);
        case 'NO_NODE':
        case 'NODE_EXISTS':
        case 'BAD_VERSION':
          throw versionConflict(
            key,
            expected,
            await this.#read(key, deadline).catch((): Observed => ({ exists: false, fresh: false })),
          );
        case 'LOST': {
          const recovered = await this.#recover(key, writeId, pre, deadline);
          if (recovered.applied) return this.#acknowledge(key, recovered.stat, record);
          pre = recovered.observed;
        }
      }
    }
  }

  async #deleteAny(key: string): Promise<boolean> {
    const deadline = this.#deadline();
    const writeId = createWriteId();
    const record = encodeTombstoneRecord(writeId);
    const path = this.#path(key);
    let pre = this.#hint(key);
    for (let attempt = 0; ; attempt += 1) {
      this.#assertAttempts(attempt, key, 'delete');
      if (!pre.exists || !pre.hasValue) {
        // The mirror may lag behind another instance's write: only the server can say "absent".
        if (pre.fresh) return false;
        pre = await this.#read(key, deadline);
        continue;
      }
      const outcome = await this.#write(key, [setOp(path, record, pre.version)], deadline);
      switch (outcome.kind) {
        case 'ok':
          this.#acknowledge(key, outcome.stat, record);
          return true;
        case 'NO_NODE':
          pre = { exists: false, fresh: true };
          break;
        case 'NODE_EXISTS':
        case 'BAD_VERSION':
          pre = await this.#read(key, deadline);
          break;
        case 'LOST': {
          const recovered = await this.#recover(key, writeId, pre, deadline);
          if (recovered.applied) {
            this.#acknowledge(key, recovered.stat, record);
            return true;
          }
          pre = recovered.observed;
        }
      }
    }
  }

  // Creates the missing folder znodes above `key`, top down; NODE_EXISTS is fine (other writers race us).
  async #ensureParents(key: string, deadline: number): Promise<void> {
    const segments = key.split('/');
    for (let depth = 1; depth < segments.length; depth += 1) {
      const ancestor = segments.slice(0, depth).join('/');
      if ((this.#cache.get(ancestor)?.version ?? -1) >= 0) continue;
      for (let attempt = 0; ; attempt += 1) {
        this.#assertAttempts(attempt, key, 'create parent of');
        const outcome = await this.#write(
          ancestor,
          [{ type: 'create', path: this.#path(ancestor), data: folderRecordData }],
          deadline,
        );
        if (outcome.kind === 'ok' || outcome.kind === 'NODE_EXISTS') break;
        if (outcome.kind === 'NO_NODE') await this.#ensureRoot(deadline);
      }
    }
  }

  // Creates `rootPath` and `rootPath/data` if missing.
  async #ensureRoot(deadline: number): Promise<void> {
    const exists = await this.#request(deadline, 'check root', (session) => session.exists(this.#dataPath), true);
    if (exists.ok && exists.value !== undefined) return;
    if (!exists.ok) throw this.#zkError(exists.error, `cannot check ${this.#dataPath}`);
    const segments = this.#dataPath.split('/').slice(1);
    for (let depth = 1; depth <= segments.length; depth += 1) {
      const path = `/${segments.slice(0, depth).join('/')}`;
      for (;;) {
        const result = await this.#request(
          deadline,
          'create root',
          (session) => session.multi([{ type: 'create', path, data: folderRecordData }]),
          false,
        );
        if (result.ok || result.error === 'NODE_EXISTS') break;
        if (result.error !== 'CONNECTION_LOSS' && result.error !== 'SESSION_EXPIRED')
          throw this.#zkError(result.error, `cannot create ${path}`);
      }
    }
    this.#log.info({ rootPath: this.#config.rootPath }, 'zookeeper storage: created the root znodes');
  }

  // One multi; the outcomes a write loop handles come back, anything else throws.
  async #write(key: string, ops: ZkOp[], deadline: number): Promise<WriteOutcome> {
    // A write that reached a server but got no answer may still be committed later (ZooKeeper
    // keeps a logged proposal across a leader change): the error says the outcome is unknown.
    const result = await this.#request(
      deadline,
      `write of storage key ${JSON.stringify(key)}; it was sent, so it may still be applied`,
      (session) => session.multi(ops),
      false,
    );
    if (result.ok) {
      const stat = result.value.at(-1)?.stat;
      if (stat === undefined && ops.at(-1)?.type === 'setData')
        throw new SecretsAgentError('ERR_INTERNAL', 'ZooKeeper setData answered without a stat');
      return { kind: 'ok', stat: stat ?? { version: 0, mzxid: 0n, numChildren: 0, dataLength: 0 } };
    }
    switch (result.error) {
      case 'NO_NODE':
      case 'NODE_EXISTS':
      case 'BAD_VERSION':
        return { kind: result.error };
      case 'CONNECTION_LOSS':
      case 'SESSION_EXPIRED':
        return { kind: 'LOST' };
      default:
        throw this.#zkError(result.error, `cannot write storage key ${JSON.stringify(key)}`, key);
    }
  }

  // After a write lost its connection: was it applied (our write id is there), not applied
  // (the znode is as it was before), or unknown (anything else: reported, never guessed)?
  async #recover(
    key: string,
    writeId: string,
    pre: Observed,
    deadline: number,
  ): Promise<{ applied: true; stat: ZkStat } | { applied: false; observed: Observed }> {
    const found = await this.#readStat(key, deadline);
    const now = found.observed;
    if (now.exists && now.writeId === writeId && found.stat !== undefined) {
      this.#log.debug({ storageKey: key }, 'zookeeper storage: write lost with its connection had been applied');
      return { applied: true, stat: found.stat };
    }
    const unchanged = (!pre.exists && !now.exists) || (pre.exists && now.exists && pre.version === now.version);
    if (unchanged) {
      this.#log.debug(
        { storageKey: key },
        'zookeeper storage: write lost with its connection was not applied; retrying',
      );
      return { applied: false, observed: now };
    }
    throw unavailable(
      `the connection to ZooKeeper broke before the write of storage key ${JSON.stringify(key)} was acknowledged, and the key changed meanwhile: its outcome is unknown`,
      { ...this.#details(), storageKey: key },
    );
  }

  // An acknowledged write goes into the mirror at once (read-your-writes) and to listeners.
  #acknowledge(key: string, stat: ZkStat, record: Buffer): number {
    const parsed = parseZkRecord(record);
    const value = parsed?.kind === 'value' ? parsed.value : undefined;
    this.#cache.apply(key, { version: stat.version, mzxid: stat.mzxid, value, corrupt: false }, false);
    return stat.version;
  }

  // ---- reads from the server ------------------------------------------------------------------

  // A read that sees every write acknowledged anywhere before it. ZooKeeper serves reads from the
  // connected member, which may lag the leader; this client has no `sync`, so a multi with one
  // `check` (ordered through the leader like any write) stands in: once it is answered, this
  // session's member has applied everything committed before it, and ZooKeeper's per-session
  // ordering makes the read that follows see it. The result also feeds the mirror.
  async #getFresh(key: string): Promise<StorageEntry | undefined> {
    const deadline = this.#deadline();
    const barrier = await this.#request(
      deadline,
      `sync before reading ${JSON.stringify(key)}`,
      (session) => session.multi([{ type: 'check', path: this.#dataPath, version: -1 }]),
      true,
    );
    if (!barrier.ok)
      throw this.#zkError(barrier.error, `cannot sync before reading storage key ${JSON.stringify(key)}`, key);
    const result = await this.#request(
      deadline,
      `read ${JSON.stringify(key)}`,
      (session) => session.getData(this.#path(key), false),
      true,
    );
    if (!result.ok) {
      if (result.error === 'NO_NODE') return undefined;
      throw this.#zkError(result.error, `cannot read storage key ${JSON.stringify(key)}`, key);
    }
    const { data, stat } = result.value;
    const record = parseZkRecord(data);
    if (record === undefined) throw this.#corruptError(key);
    this.#applyRead(key, data, stat, false);
    return record.kind === 'value' ? { value: new Uint8Array(record.value), version: stat.version } : undefined;
  }

  async #read(key: string, deadline: number): Promise<Observed> {
    return (await this.#readStat(key, deadline)).observed;
  }

  async #readStat(key: string, deadline: number): Promise<{ observed: Observed; stat: ZkStat | undefined }> {
    const result = await this.#request(
      deadline,
      `read ${JSON.stringify(key)}`,
      (session) => session.getData(this.#path(key), false),
      true,
    );
    if (!result.ok) {
      if (result.error === 'NO_NODE') return { observed: { exists: false, fresh: true }, stat: undefined };
      throw this.#zkError(result.error, `cannot read storage key ${JSON.stringify(key)}`, key);
    }
    const record = parseZkRecord(result.value.data);
    const { stat } = result.value;
    return {
      observed: {
        exists: true,
        fresh: true,
        version: stat.version,
        hasValue: record === undefined || record.kind === 'value',
        writeId: record?.writeId,
      },
      stat,
    };
  }

  #hint(key: string): Observed {
    const node = this.#cache.get(key);
    if (node === undefined || node.version < 0) return { exists: false, fresh: false };
    return {
      exists: true,
      fresh: false,
      version: node.version,
      hasValue: node.value !== undefined || node.corrupt,
      writeId: undefined,
    };
  }

  // ---- the session and the mirror ---------------------------------------------------------------

  #startSession(): void {
    const generation = ++this.#sessionGeneration;
    this.#cacheReady = false;
    this.#cache.disarmAll();
    this.#session = createZkSession({
      connectionString: this.#config.connectionString,
      sessionTimeoutMs: this.#config.sessionTimeoutMs,
      auth: this.#config.auth,
      onState: (state) => {
        if (generation === this.#sessionGeneration) this.#onState(state);
      },
      onWatch: (event) => {
        if (generation === this.#sessionGeneration) this.#onWatch(event);
      },
    });
  }

  #onState(state: ZkState): void {
    const session = this.#session;
    const details = { connectionString: this.#config.connectionString, sessionId: session.sessionIdHex };
    switch (state) {
      case 'connected': {
        this.#negotiatedTimeoutMs = session.sessionTimeoutMs;
        if (this.#disconnectedAtMs !== undefined) {
          this.#log.info({ ...details, downMs: Date.now() - this.#disconnectedAtMs }, 'zookeeper storage: reconnected');
        }
        this.#disconnectedAtMs = undefined;
        clearTimeout(this.#expiryTimer);
        this.#startResync();
        break;
      }
      case 'disconnected': {
        this.#disconnectedAtMs = Date.now();
        this.#log.warn(details, 'zookeeper storage: disconnected; reconnecting');
        clearTimeout(this.#expiryTimer);
        // The server expires a session it has not heard from for its timeout; past that our
        // watches are gone and the mirror may be stale for good, so start over with a new session.
        this.#expiryTimer = setTimeout(
          () => this.#replaceSession('disconnected for longer than the session timeout'),
          this.#negotiatedTimeoutMs,
        );
        this.#expiryTimer.unref();
        break;
      }
      case 'expired':
        this.#replaceSession('session expired');
        break;
      case 'authFailed':
        this.#log.error(details, 'zookeeper storage: the server rejected the credentials');
        break;
      default:
        break;
    }
    this.#wake();
  }

  #replaceSession(reason: string): void {
    if (this.#closed || this.#closing !== undefined) return;
    const old = this.#session;
    clearTimeout(this.#expiryTimer);
    this.#log.warn(
      { connectionString: this.#config.connectionString, sessionId: old.sessionIdHex, reason },
      'zookeeper storage: starting a new session',
    );
    this.#disconnectedAtMs ??= Date.now();
    this.#startSession();
    void old.close().catch(() => undefined);
    this.#wake();
  }

  // Re-reads the whole tree with watches; the mirror emits whatever changed meanwhile.
  #startResync(): void {
    const epoch = ++this.#syncEpoch;
    const generation = this.#sessionGeneration;
    const startedMs = Date.now();
    const current = (): boolean => epoch === this.#syncEpoch && generation === this.#sessionGeneration && !this.#closed;
    const run = async (): Promise<void> => {
      await this.#ensureRoot(Date.now() + this.#config.operationTimeoutMs);
      this.#syncError = undefined;
      const complete = await this.#syncSubtree('', true, current);
      if (!current()) return;
      if (!complete && this.#syncError !== undefined)
        throw this.#zkError(this.#syncError, `cannot read the key tree under ${this.#dataPath}`);
      if (!complete) return;
      this.#cacheReady = true;
      this.#log.debug({ znodes: this.#cache.size, ms: Date.now() - startedMs }, 'zookeeper storage: tree loaded');
      this.#wake();
    };
    run().catch((error: unknown) => {
      const code = (error as { code?: unknown }).code;
      if (!current()) return;
      if (code !== 'ERR_STORAGE_UNAVAILABLE' || (error as SecretsAgentError).details?.['zkError'] === 'NO_AUTH') {
        this.#fatal ??=
          error instanceof SecretsAgentError
            ? error
            : unavailable('cannot load the ZooKeeper key tree', this.#details(), error);
        this.#wake();
      }
      this.#log.warn({ err: error }, 'zookeeper storage: tree load failed; retrying after the next reconnect');
    });
  }

  // Reads `key` with watches and, recursively, its children (all of them when `full`, else only
  // those without watches yet). A znode the mirror already holds is re-armed with `exists` and its
  // data fetched only if it changed since, so a resync after a short disconnect moves little data.
  // Resolves false when some read failed (the next reconnect retries).
  async #syncSubtree(key: string, full: boolean, current: () => boolean): Promise<boolean> {
    const session = this.#session;
    const path = this.#path(key);
    const knownMzxid = this.#cache.get(key)?.version === -1 ? undefined : this.#cache.get(key)?.mzxid;
    await this.#acquireSyncSlot();
    let data: ZkResult<{ data: Buffer; stat: ZkStat } | undefined>;
    let children: ZkResult<{ children: string[]; stat: ZkStat }>;
    try {
      const readData = async (): Promise<ZkResult<{ data: Buffer; stat: ZkStat } | undefined>> => {
        if (knownMzxid === undefined) return session.getData(path, true);
        const stat = await session.exists(path, true);
        if (!stat.ok) return stat;
        if (stat.value === undefined) return { ok: false, error: 'NO_NODE' };
        return stat.value.mzxid <= knownMzxid ? { ok: true, value: undefined } : session.getData(path, true);
      };
      [data, children] = await Promise.all([readData(), session.getChildren(path, true)]);
    } finally {
      this.#releaseSyncSlot();
    }
    if (session !== this.#session || this.#closed) return false;
    if ((!data.ok && data.error === 'NO_NODE') || (!children.ok && children.error === 'NO_NODE')) {
      this.#cache.drop(key);
      return key !== '';
    }
    if (!data.ok || !children.ok) {
      const error = data.ok ? (children.ok ? 'OTHER' : children.error) : data.error;
      if (error !== 'CONNECTION_LOSS' && error !== 'SESSION_EXPIRED') {
        this.#syncError = error;
        this.#log.error({ storageKey: key, zkError: error }, 'zookeeper storage: cannot read a znode of the key tree');
      }
      return false;
    }
    if (data.value === undefined) this.#cache.markArmed(key);
    else this.#applyRead(key, data.value.data, data.value.stat, true);
    const childKeys = this.#cache.setChildren(key, this.#decodeChildren(key, children.value.children));
    if (!current() && full) return false;
    const pending = childKeys.filter((child) => full || this.#cache.get(child)?.armed !== true);
    const results = await Promise.all(pending.map((child) => this.#syncSubtree(child, full, current)));
    return results.every(Boolean);
  }

  #onWatch(event: ZkWatchEvent): void {
    const key = this.#keyOfPath(event.path);
    if (key === undefined || this.#closed) return;
    const fail = (error: unknown): void =>
      this.#log.warn({ err: error, storageKey: key }, 'zookeeper storage: watch refresh failed');
    switch (event.type) {
      case 'dataChanged':
        this.#refreshData(key).catch(fail);
        break;
      case 'childrenChanged':
        this.#refreshChildren(key).catch(fail);
        break;
      case 'deleted':
        this.#cache.drop(key);
        if (key === '') this.#startResync();
        break;
      default:
        break;
    }
  }

  // A data watch fired: re-arm it (watches are one-shot) with `exists`, which answers the stat
  // only, and fetch the data only when the mirror does not have that change yet (our own writes
  // are already in it: no second transfer of a 1 MiB value). A failed read leaves the watch
  // unarmed; the resync after the reconnect that follows a connection loss re-arms it.
  async #refreshData(key: string): Promise<void> {
    const session = this.#session;
    const path = this.#path(key);
    const stat = await session.exists(path, true);
    if (session !== this.#session) return;
    if (!stat.ok) return;
    if (stat.value === undefined) {
      this.#cache.drop(key);
      return;
    }
    if (stat.value.mzxid <= (this.#cache.get(key)?.mzxid ?? -1n)) return;
    const result = await session.getData(path, true);
    if (session !== this.#session) return;
    if (result.ok) this.#applyRead(key, result.value.data, result.value.stat, false);
    else if (result.error === 'NO_NODE') this.#cache.drop(key);
  }

  async #refreshChildren(key: string): Promise<void> {
    const session = this.#session;
    const result = await session.getChildren(this.#path(key), true);
    if (session !== this.#session) return;
    if (!result.ok) {
      if (result.error === 'NO_NODE') this.#cache.drop(key);
      return;
    }
    const childKeys = this.#cache.setChildren(key, this.#decodeChildren(key, result.value.children));
    const generation = this.#sessionGeneration;
    const current = (): boolean => generation === this.#sessionGeneration && !this.#closed;
    await Promise.all(
      childKeys
        .filter((child) => this.#cache.get(child)?.armed !== true)
        .map((child) => this.#syncSubtree(child, false, current)),
    );
  }

  #applyRead(key: string, data: Buffer, stat: ZkStat, armed: boolean): void {
    const record = parseZkRecord(data);
    if (record === undefined && this.#cache.get(key)?.corrupt !== true) {
      this.#log.error(
        { storageKey: key, znode: this.#path(key) },
        'zookeeper storage: znode data is not a storage record; reads of this key fail until it is rewritten',
      );
    }
    const value = record?.kind === 'value' ? record.value : undefined;
    this.#cache.apply(key, { version: stat.version, mzxid: stat.mzxid, value, corrupt: record === undefined }, armed);
  }

  #decodeChildren(parentKey: string, names: readonly string[]): string[] {
    const segments: string[] = [];
    for (const name of names) {
      const segment = decodeZkSegment(name);
      if (segment !== undefined) {
        segments.push(segment);
      } else if (!this.#unreadableNames.has(`${parentKey}/${name}`)) {
        this.#unreadableNames.add(`${parentKey}/${name}`);
        this.#log.warn(
          { znode: `${this.#path(parentKey)}/${name}` },
          'zookeeper storage: ignoring a znode whose name is not an encoded key segment',
        );
      }
    }
    return segments;
  }

  #keyOfPath(path: string): string | undefined {
    if (path === this.#dataPath) return '';
    if (!path.startsWith(`${this.#dataPath}/`)) return undefined;
    const segments = path
      .slice(this.#dataPath.length + 1)
      .split('/')
      .map(decodeZkSegment);
    return segments.every((segment) => segment !== undefined) ? segments.join('/') : undefined;
  }

  async #acquireSyncSlot(): Promise<void> {
    if (this.#syncSlots.free > 0) {
      this.#syncSlots.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.#syncSlots.queue.push(resolve));
  }

  #releaseSyncSlot(): void {
    const next = this.#syncSlots.queue.shift();
    if (next === undefined) this.#syncSlots.free += 1;
    else next();
  }

  // ---- plumbing ---------------------------------------------------------------------------------

  // Runs one request on a connected session before `deadline`; with `retryOnLoss` (reads), a
  // request cut by a connection loss is sent again once reconnected.
  async #request<T>(
    deadline: number,
    what: string,
    call: (session: ZkSession) => Promise<ZkResult<T>>,
    retryOnLoss: boolean,
  ): Promise<ZkResult<T>> {
    for (;;) {
      const session = await this.#connectedSession(deadline, what);
      const result = await this.#beforeDeadline(call(session), deadline, session, what);
      if (!result.ok && retryOnLoss && (result.error === 'CONNECTION_LOSS' || result.error === 'SESSION_EXPIRED'))
        continue;
      return result;
    }
  }

  async #connectedSession(deadline: number, what: string): Promise<ZkSession> {
    const ready = await this.#waitFor(() => this.#closed || this.#session.state === 'connected', deadline);
    if (this.#closed) throw this.#closedError();
    if (!ready) {
      throw unavailable(
        `ZooKeeper at ${this.#config.connectionString} is unreachable (${what}: no connection within ${this.#config.operationTimeoutMs} ms)`,
        this.#details(),
      );
    }
    return this.#session;
  }

  async #beforeDeadline<T>(promise: Promise<T>, deadline: number, session: ZkSession, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => {
          // A server that stops answering is not noticed by the client library: reconnect elsewhere.
          if (session === this.#session && session.state === 'connected') {
            this.#log.warn(
              { connectionString: this.#config.connectionString, what },
              'zookeeper storage: no answer before the deadline; dropping the connection',
            );
            session.dropConnection();
          }
          reject(
            unavailable(
              `ZooKeeper at ${this.#config.connectionString} did not answer in time (${what})`,
              this.#details(),
            ),
          );
        },
        Math.max(0, deadline - Date.now()),
      );
    });
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // Reads are served from the mirror while it is current: connected, or disconnected for less than a session timeout.
  async #awaitReadableCache(key: string): Promise<void> {
    const readable = (): boolean => this.#readableCache();
    if (readable()) return;
    if (!(await this.#waitFor(readable, this.#deadline()))) {
      throw unavailable(
        `ZooKeeper at ${this.#config.connectionString} is unreachable and the local copy of storage key ${JSON.stringify(key)} may be stale`,
        {
          ...this.#details(),
          storageKey: key,
        },
      );
    }
    if (this.#closed) throw this.#closedError();
  }

  #readableCache(): boolean {
    return (
      this.#closed ||
      (this.#cacheReady &&
        (this.#session.state === 'connected' ||
          (this.#disconnectedAtMs !== undefined && Date.now() - this.#disconnectedAtMs < this.#negotiatedTimeoutMs)))
    );
  }

  async #waitFor(predicate: () => boolean, deadline: number): Promise<boolean> {
    while (!predicate()) {
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) return false;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.#wakers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, remainingMs);
        this.#wakers.add(done);
      });
    }
    return true;
  }

  #wake(): void {
    for (const waker of [...this.#wakers]) waker();
  }

  #track<T>(task: () => Promise<T>): Promise<T> {
    const result = task();
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.#inFlight.add(settled);
    void settled.then(() => this.#inFlight.delete(settled));
    return result;
  }

  #emit(change: StorageChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.#log.error({ err: error, storageKey: change.key }, 'zookeeper storage: a watch listener threw');
      }
    }
  }

  #path(key: string): string {
    return zkPathOfKey(this.#dataPath, key);
  }

  #deadline(): number {
    return Date.now() + this.#config.operationTimeoutMs;
  }

  #assertAttempts(attempt: number, key: string, what: string): void {
    if (this.#closed) throw this.#closedError();
    if (attempt < maxWriteAttempts) return;
    throw unavailable(
      `gave up on ${what} storage key ${JSON.stringify(key)} after ${maxWriteAttempts} attempts (ZooKeeper kept changing under it)`,
      {
        ...this.#details(),
        storageKey: key,
      },
    );
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw this.#closedError();
  }

  #closedError(): SecretsAgentError {
    return unavailable(
      `zookeeper storage ${this.#config.rootPath} on ${this.#config.connectionString} is closed`,
      this.#details(),
    );
  }

  #corruptError(key: string): SecretsAgentError {
    return new SecretsAgentError(
      'ERR_STORE_CORRUPT',
      `storage key ${JSON.stringify(key)} in ZooKeeper ${this.#path(key)} is not a storage record`,
      {
        details: { ...this.#details(), storageKey: key },
      },
    );
  }

  #zkError(error: ZkErrorName, message: string, key?: string): SecretsAgentError {
    const hint =
      error === 'NO_AUTH' ? ' (NO_AUTH: the znode belongs to other credentials; check `auth`)' : ` (${error})`;
    return unavailable(`${message}${hint}`, {
      ...this.#details(),
      zkError: error,
      ...(key === undefined ? {} : { storageKey: key }),
    });
  }

  #details(): Record<string, unknown> {
    return { connectionString: this.#config.connectionString, rootPath: this.#config.rootPath };
  }
}

// The ops of an atomic create: the znode, then its data, so the answer carries a stat (version, mzxid).
function createOps(path: string, record: Buffer): ZkOp[] {
  return [
    { type: 'create', path, data: folderRecordData },
    { type: 'setData', path, data: record, version: 0 },
  ];
}

function setOp(path: string, data: Buffer, version: number): ZkOp {
  return { type: 'setData', path, data, version };
}

function unavailable(message: string, details: Record<string, unknown>, cause?: unknown): SecretsAgentError {
  return new SecretsAgentError(
    'ERR_STORAGE_UNAVAILABLE',
    message,
    cause === undefined ? { details } : { details, cause },
  );
}

function conflict(message: string, key: string): SecretsAgentError {
  return new SecretsAgentError('ERR_STORAGE_CONFLICT', message, { details: { storageKey: key } });
}

function versionConflict(key: string, expected: number, observed: Observed): SecretsAgentError {
  const actual = !observed.exists || !observed.hasValue ? 'does not exist' : `is at version ${observed.version}`;
  return conflict(`storage key ${JSON.stringify(key)} ${actual}, not version ${expected}`, key);
}

function assertValue(value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array))
    throw new SecretsAgentError('ERR_USAGE', `Expected \`value\` to be a Uint8Array, got ${describeValue(value)}`);
  if (value.byteLength > maxValueBytes) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`value\` to be at most ${maxValueBytes} bytes, got ${value.byteLength} bytes`,
    );
  }
}

function parseExpectedVersion(options: PutOptions): number | undefined {
  const expected: unknown = options.expectedVersion;
  if (expected === undefined || (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0))
    return expected;
  throw new SecretsAgentError(
    'ERR_USAGE',
    `Expected \`expectedVersion\` to be a non-negative integer, got ${describeValue(expected)}`,
  );
}
