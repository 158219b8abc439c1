// The storage seam of the Secret Store: an ordered key-value space with per-key versions.
// Everything above it (encryption, keyring, IAM, seal state) is backend-agnostic; every backend
// passes the same contract suite (test/store/storage/contract.ts).
//
// Keys are `/`-separated segments (e.g. `secrets/default/a/b`, `iam/users/alice`). A segment is
// non-empty, is not `.` or `..`, and contains neither `/` nor NUL; backends encode segments as
// they must. A key may have both a value and children (`a/b` and `a/b/c` may coexist).
// Values are opaque bytes, already encrypted where they need to be; backends accept at least
// `maxValueBytes`.

export const maxValueBytes = 1024 * 1024 + 64 * 1024;

export interface StorageEntry {
  readonly value: Uint8Array;
  /** Opaque, changes on every write of this key; used for conditional writes. */
  readonly version: number;
}

export interface StorageChange {
  readonly key: string;
  readonly kind: 'put' | 'delete';
}

export interface PutOptions {
  /** Write only if the key's current version is this one (ERR_STORAGE_CONFLICT otherwise, also when absent). */
  readonly expectedVersion?: number;
}

export interface GetOptions {
  /** Bypass any local copy: the answer reflects every write acknowledged (by any process sharing
   * the storage) before the call. Costs a round trip on shared backends; for writers that must
   * not act on a stale read (an update of a key another instance just created). */
  readonly fresh?: boolean;
}

export type StorageDriver = 'file' | 'zookeeper';

export interface StorageBackend {
  readonly driver: StorageDriver;
  /** Whether the backend is connected to its service now (for metrics); absent: always (files). */
  connected?(): boolean;
  /** The record at `key`, or undefined when there is none. */
  get(key: string, options?: GetOptions): Promise<StorageEntry | undefined>;
  /** Creates `key` atomically; ERR_STORAGE_CONFLICT when it already exists. Returns the new version. */
  create(key: string, value: Uint8Array): Promise<number>;
  /** Creates or replaces `key` (conditionally with `expectedVersion`). Returns the new version. */
  put(key: string, value: Uint8Array, options?: PutOptions): Promise<number>;
  /** Removes `key` (conditionally with `expectedVersion`); false when it did not exist. Children stay. */
  delete(key: string, options?: PutOptions): Promise<boolean>;
  /** Every key that has a value strictly below folder `prefix` ('' = everything), recursive, full keys, sorted by UTF-16 code units. */
  list(prefix: string): Promise<string[]>;
  /** Calls `listener` after every change made by any process sharing this storage. Returns an unsubscribe function. */
  watch(listener: (change: StorageChange) => void): () => void;
  /** Resolves when the storage can serve; throws ERR_STORAGE_UNAVAILABLE otherwise. */
  ping(): Promise<void>;
  /** Releases locks, handles and sessions. Safe to call twice. */
  close(): Promise<void>;
}
