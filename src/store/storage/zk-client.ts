// The project's only door to node-zookeeper-client: one ZooKeeper session as promises that resolve
// to results (`{ ok: false, error: 'NO_NODE' }` is an answer, not an exception), one watcher
// function per session, and the library's quirks handled in one place:
// - the Transaction builder turns version 0 into -1 (`version || -1`), so ops are patched after
//   building; every write here is a multi, which also lifts the client's 1 MiB `data` assertion
//   (values are up to 1 MiB + 64 KiB; the server's `jute.maxbuffer` must allow them);
// - requests made while disconnected are queued by the library with no timeout: callers wait
//   for `connected` first and put a deadline on every call;
// - the library never notices a server that stops answering: `dropConnection()` lets the caller
//   force a reconnect after a deadline passes (the Java client does the same after 2/3 of the
//   session timeout);
// - an error code the library does not know (3.5+ servers send e.g. -118 SESSION_MOVED or
//   -125 QUOTA_EXCEEDED) makes `Exception.create` throw inside the socket's data handler, which
//   would crash the process: such codes become SYSTEM_ERROR (reported as 'OTHER') instead.
import zookeeper from 'node-zookeeper-client';
import type { Stat, Transaction } from 'node-zookeeper-client';
import { SecretsAgentError } from '../../core/errors.js';

export type ZkErrorName =
  | 'CONNECTION_LOSS'
  | 'SESSION_EXPIRED'
  | 'OPERATION_TIMEOUT'
  | 'NO_NODE'
  | 'NODE_EXISTS'
  | 'BAD_VERSION'
  | 'NOT_EMPTY'
  | 'NO_AUTH'
  | 'AUTH_FAILED'
  | 'INVALID_ACL'
  | 'OTHER';

export type ZkResult<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ZkErrorName };

export interface ZkStat {
  readonly version: number;
  /** zxid of the last change of this znode: grows with every write anywhere in the ensemble. */
  readonly mzxid: bigint;
  readonly numChildren: number;
  readonly dataLength: number;
}

export type ZkWatchEventType = 'created' | 'deleted' | 'dataChanged' | 'childrenChanged';

export interface ZkWatchEvent {
  readonly type: ZkWatchEventType;
  readonly path: string;
}

export type ZkState = 'connecting' | 'connected' | 'disconnected' | 'expired' | 'authFailed' | 'closed';

export type ZkOp =
  | { readonly type: 'create'; readonly path: string; readonly data: Buffer }
  | { readonly type: 'setData'; readonly path: string; readonly data: Buffer; readonly version: number }
  | { readonly type: 'check'; readonly path: string; readonly version: number }
  | { readonly type: 'remove'; readonly path: string; readonly version: number };

/** Per op: the new stat for setData, undefined for create/check/remove (this client's create answers no stat). */
export type ZkOpResult = { readonly stat: ZkStat | undefined };

export interface ZkSessionOptions {
  /** `host:port,host:port` (no chroot). */
  readonly connectionString: string;
  readonly sessionTimeoutMs: number;
  /** `user:password` for the digest scheme; znodes created get a creator-only ACL. Without it they are world-open. */
  readonly auth?: string | undefined;
  /** Called for every watch notification of this session. */
  readonly onWatch?: (event: ZkWatchEvent) => void;
  readonly onState?: (state: ZkState) => void;
}

export interface ZkSession {
  readonly state: ZkState;
  /** The timeout the server granted (ms); the requested one until connected. */
  readonly sessionTimeoutMs: number;
  readonly sessionIdHex: string;
  getData(path: string, watch: boolean): Promise<ZkResult<{ data: Buffer; stat: ZkStat }>>;
  getChildren(path: string, watch: boolean): Promise<ZkResult<{ children: string[]; stat: ZkStat }>>;
  /** With `watch`, sets a data watch (when the znode exists). */
  exists(path: string, watch?: boolean): Promise<ZkResult<ZkStat | undefined>>;
  /** Runs `ops` atomically; on failure `error` is the first failing op's error. */
  multi(ops: readonly ZkOp[]): Promise<ZkResult<ZkOpResult[]>>;
  /** Forces the socket closed so the library reconnects (session kept); in-flight calls get CONNECTION_LOSS. */
  dropConnection(): void;
  close(): Promise<void>;
}

guardUnknownErrorCodes();

const errorNames: ReadonlyMap<number, ZkErrorName> = new Map([
  [zookeeper.Exception.CONNECTION_LOSS, 'CONNECTION_LOSS'],
  [zookeeper.Exception.SESSION_EXPIRED, 'SESSION_EXPIRED'],
  [zookeeper.Exception.OPERATION_TIMEOUT, 'OPERATION_TIMEOUT'],
  [zookeeper.Exception.NO_NODE, 'NO_NODE'],
  [zookeeper.Exception.NODE_EXISTS, 'NODE_EXISTS'],
  [zookeeper.Exception.BAD_VERSION, 'BAD_VERSION'],
  [zookeeper.Exception.NOT_EMPTY, 'NOT_EMPTY'],
  [zookeeper.Exception.NO_AUTH, 'NO_AUTH'],
  [zookeeper.Exception.AUTH_FAILED, 'AUTH_FAILED'],
  [zookeeper.Exception.INVALID_ACL, 'INVALID_ACL'],
]);

const watchTypes: ReadonlyMap<number, ZkWatchEventType> = new Map([
  [zookeeper.Event.NODE_CREATED, 'created'],
  [zookeeper.Event.NODE_DELETED, 'deleted'],
  [zookeeper.Event.NODE_DATA_CHANGED, 'dataChanged'],
  [zookeeper.Event.NODE_CHILDREN_CHANGED, 'childrenChanged'],
]);

// Opens a session (connecting in the background); watch `onState` for `connected`.
export function createZkSession(options: ZkSessionOptions): ZkSession {
  // retries: 0 — the backend owns retries (it knows which requests are safe to repeat).
  const client = zookeeper.createClient(options.connectionString, {
    sessionTimeout: options.sessionTimeoutMs,
    spinDelay: 500,
    retries: 0,
  });
  const acl =
    options.auth === undefined
      ? [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('world', 'anyone'))]
      : [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('auth', ''))];
  let state: ZkState = 'connecting';
  let closing: Promise<void> | undefined;

  const setState = (next: ZkState): void => {
    if (state === next || state === 'closed') return;
    state = next;
    options.onState?.(next);
  };
  client.on('connected', () => setState('connected'));
  client.on('disconnected', () => setState(closing === undefined ? 'disconnected' : 'closed'));
  client.on('expired', () => setState('expired'));
  client.on('authenticationFailed', () => setState('authFailed'));

  // One watcher function for every path: the library keys watchers by path and function identity,
  // so re-arming a watch never stacks duplicates.
  const watcher = (event: { getType(): number; getPath(): string }): void => {
    const type = watchTypes.get(event.getType());
    if (type !== undefined) options.onWatch?.({ type, path: event.getPath() });
  };

  if (options.auth !== undefined) client.addAuthInfo('digest', Buffer.from(options.auth, 'utf8'));
  client.connect();

  const session: ZkSession = {
    get state() {
      return state;
    },
    get sessionTimeoutMs() {
      return state === 'connected' ? client.getSessionTimeout() : options.sessionTimeoutMs;
    },
    get sessionIdHex() {
      return client.getSessionId().toString('hex');
    },
    getData(path, watch) {
      return call(
        (callback) => {
          if (watch) client.getData(path, watcher, callback);
          else client.getData(path, callback);
        },
        (data: Buffer | undefined, stat: Stat) => ({ data: data ?? Buffer.alloc(0), stat: toStat(stat) }),
      );
    },
    getChildren(path, watch) {
      return call(
        (callback) => {
          if (watch) client.getChildren(path, watcher, callback);
          else client.getChildren(path, callback);
        },
        (children: string[], stat: Stat) => ({ children, stat: toStat(stat) }),
      );
    },
    exists(path, watch = false) {
      return call(
        (callback) => {
          if (watch) client.exists(path, watcher, callback);
          else client.exists(path, callback);
        },
        (stat: Stat | null | undefined) => (stat ? toStat(stat) : undefined),
      );
    },
    multi(ops) {
      return call(
        (callback) => {
          const transaction = client.transaction();
          for (const op of ops) {
            if (op.type === 'create') transaction.create(op.path, op.data, acl, zookeeper.CreateMode.PERSISTENT);
            else if (op.type === 'setData') transaction.setData(op.path, op.data, op.version);
            else if (op.type === 'check') transaction.check(op.path, op.version);
            else transaction.remove(op.path, op.version);
          }
          patchVersions(transaction, ops);
          transaction.commit(callback);
        },
        (results: unknown) => parseMultiResults(results, ops.length),
      );
    },
    dropConnection() {
      const manager = (client as unknown as { connectionManager?: { socket?: { destroy(): void } } }).connectionManager;
      manager?.socket?.destroy();
    },
    close() {
      closing ??= closeClient();
      return closing;
    },
  };

  async function closeClient(): Promise<void> {
    const wasConnected = state === 'connected';
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wasConnected ? 2_000 : 0);
      client.once('disconnected', () => {
        clearTimeout(timer);
        resolve();
      });
      try {
        client.close();
      } catch {
        // Closing before the first connection attempt started: nothing to tell the server.
        clearTimeout(timer);
        resolve();
      }
    });
    // The library may still be waiting to reconnect; a destroyed socket in the CLOSING state ends it.
    session.dropConnection();
    setState('closed');
  }

  return session;
}

function guardUnknownErrorCodes(): void {
  const exceptions = zookeeper.Exception as unknown as { create?: unknown; SYSTEM_ERROR: number; guarded?: boolean };
  const create = exceptions.create;
  if (typeof create !== 'function' || exceptions.guarded === true) return;
  exceptions.create = (code: unknown, path?: unknown): unknown => {
    try {
      return create(code, path);
    } catch {
      return create(exceptions.SYSTEM_ERROR, path);
    }
  };
  exceptions.guarded = true;
}

// Adapts a callback call to a ZkResult; library errors with a known code become `{ ok: false }`.
function call<R extends unknown[], T>(
  start: (callback: (error: unknown, ...results: R) => void) => void,
  map: (...results: R) => T,
): Promise<ZkResult<T>> {
  return new Promise((resolve, reject) => {
    try {
      start((error: unknown, ...results: R) => {
        if (error !== null && error !== undefined) {
          resolve({ ok: false, error: errorName(error) });
          return;
        }
        try {
          resolve({ ok: true, value: map(...results) });
        } catch (mapError) {
          reject(mapError);
        }
      });
    } catch (error) {
      // The library asserts its arguments synchronously (paths, callbacks): a bug on our side.
      reject(new SecretsAgentError('ERR_INTERNAL', 'ZooKeeper client rejected a request', { cause: error }));
    }
  });
}

function errorName(error: unknown): ZkErrorName {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? (errorNames.get(code) ?? 'OTHER') : 'OTHER';
}

function toStat(stat: Stat): ZkStat {
  return {
    version: stat.version,
    mzxid: stat.mzxid.readBigUInt64BE(0),
    numChildren: stat.numChildren,
    dataLength: stat.dataLength,
  };
}

// node-zookeeper-client 1.1.3 Transaction: `version = version || -1` makes version 0 unconditional.
// The built ops are plain objects in `transaction.ops`; put the real versions back.
function patchVersions(transaction: Transaction, ops: readonly ZkOp[]): void {
  const built = (transaction as unknown as { ops?: unknown }).ops;
  if (!Array.isArray(built) || built.length !== ops.length) {
    throw new SecretsAgentError(
      'ERR_INTERNAL',
      'node-zookeeper-client Transaction has an unexpected shape (expected 1.1.x)',
    );
  }
  ops.forEach((op, index) => {
    if (op.type !== 'create') (built[index] as { version: number }).version = op.version;
  });
}

function parseMultiResults(results: unknown, count: number): ZkOpResult[] {
  if (!Array.isArray(results) || results.length !== count) {
    throw new SecretsAgentError(
      'ERR_INTERNAL',
      `ZooKeeper multi answered ${Array.isArray(results) ? results.length : 'no'} results for ${count} ops`,
    );
  }
  return results.map((result: { type?: unknown; stat?: Stat }) => ({
    stat: result.type === 5 /* SET_DATA */ && result.stat !== undefined ? toStat(result.stat) : undefined,
  }));
}
