// The embedded storage backend: one record file per key under a locked directory, every record
// also held in memory. This process holds the directory lock, so it is the only writer: `get` and
// `list` are served from memory; a write goes to disk first (atomic replace + fsync), then to
// memory, then to watchers. Writes to one key run one at a time, in call order.
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SecretsAgentError, isSecretsAgentError } from '../../core/errors.js';
import { createSilentLogger, type Logger } from '../../core/log.js';
import { describeValue } from '../../config/describe-value.js';
import { replaceFile, syncDirectory } from './atomic-file.js';
import {
  maxValueBytes,
  type PutOptions,
  type StorageBackend,
  type StorageChange,
  type StorageEntry,
} from './backend.js';
import { acquireDirLock, type DirLock } from './dir-lock.js';
import { FileKeyTree } from './file-key-tree.js';
import { loadFileStorage, type LoadedStorage } from './file-load.js';
import { encodeRecord, recordValueView } from './file-record.js';
import { assertStorageKey, assertStoragePrefix, encodeKeyPath } from './key-codec.js';

export interface FileBackendOptions {
  /** The storage directory (created 0700 if missing); one process at a time may open it. */
  readonly dir: string;
  readonly log?: Logger;
  /** How long to wait for another process to let go of the directory. Default 0: ERR_STORE_LOCKED at once. */
  readonly lockWaitMs?: number;
}

interface Slot {
  readonly version: number;
  readonly value: Uint8Array;
}

interface CorruptSlot {
  readonly problem: string;
}

// Opens (and locks) a file storage directory; throws ERR_STORE_LOCKED when another process has it
// open (after waiting up to `lockWaitMs` for it to let go).
export async function openFileBackend(options: FileBackendOptions): Promise<StorageBackend> {
  if (typeof options.dir !== 'string' || options.dir === '') {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`dir\` to be a non-empty string, got ${describeValue(options.dir)}`,
    );
  }
  const dir = resolve(options.dir);
  const log = options.log ?? createSilentLogger();
  await prepareDirectory(dir, log);
  const lock = await acquireDirLock(dir, { waitMs: options.lockWaitMs ?? 0 }).catch((error: unknown) => {
    throw isSecretsAgentError(error) ? error : ioError(`cannot lock file storage ${dir}`, dir, error);
  });
  let loaded: LoadedStorage;
  try {
    loaded = await loadFileStorage(dir, log);
  } catch (error) {
    await lock.release().catch(() => undefined);
    throw ioError(`cannot read file storage ${dir}`, dir, error);
  }
  for (const { file, key, problem } of loaded.corrupt) {
    log.error(
      { dir, file, storageKey: key, problem },
      'file storage: record failed its integrity check; reads of it fail until it is rewritten',
    );
  }
  log.info(
    { dir, records: loaded.records.size, corrupt: loaded.corrupt.length, removedTempFiles: loaded.removedTempFiles },
    'file storage opened',
  );
  return new FileBackend(dir, log, lock, loaded);
}

async function prepareDirectory(dir: string, log: Logger): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const info = await stat(dir);
    if (!info.isDirectory()) throw new Error('not a directory');
    if ((info.mode & 0o077) !== 0) {
      await chmod(dir, 0o700);
      log.warn({ dir, mode: (info.mode & 0o777).toString(8) }, 'file storage: tightened directory mode to 0700');
    }
  } catch (error) {
    throw new SecretsAgentError('ERR_CONFIG_INVALID', `cannot use ${dir} as the storage directory`, {
      cause: error,
      details: { dir },
    });
  }
}

function ioError(message: string, dir: string, cause: unknown, storageKey?: string): SecretsAgentError {
  const code = (cause as { code?: unknown } | undefined)?.code;
  // A full disk is the operator's to fix, and the client must be told so (issue 12.9).
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    const reason = code === 'ENOSPC' ? 'no space left on device (ENOSPC)' : 'disk quota exceeded (EDQUOT)';
    return new SecretsAgentError('ERR_STORAGE_FULL', `${message}: ${reason}`, {
      cause,
      details: storageKey === undefined ? { dir, errno: code } : { dir, storageKey, errno: code },
    });
  }
  return new SecretsAgentError('ERR_STORAGE_UNAVAILABLE', message, {
    cause,
    details: storageKey === undefined ? { dir } : { dir, storageKey },
  });
}

class FileBackend implements StorageBackend {
  readonly driver = 'file' as const;
  readonly #dir: string;
  readonly #log: Logger;
  readonly #lock: DirLock;
  readonly #slots = new Map<string, Slot | CorruptSlot>();
  /** Corrupt records whose key is unknown (hashed long segment), by relative file path. */
  readonly #corruptFiles = new Map<string, string>();
  readonly #tree = new FileKeyTree();
  readonly #folders: Set<string>;
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #listeners = new Set<(change: StorageChange) => void>();
  #lastVersion: number;
  #closing: Promise<void> | undefined;

  constructor(dir: string, log: Logger, lock: DirLock, loaded: LoadedStorage) {
    this.#dir = dir;
    this.#log = log;
    this.#lock = lock;
    this.#folders = loaded.folders;
    for (const [key, record] of loaded.records) {
      this.#slots.set(key, record);
      this.#tree.add(key);
    }
    for (const { file, key, problem } of loaded.corrupt) {
      if (key === undefined) {
        this.#corruptFiles.set(file, problem);
      } else {
        this.#slots.set(key, { problem });
        this.#tree.add(key);
      }
    }
    // Versions come from one store-wide counter. Seeding it past the clock in microseconds means
    // a key deleted and re-created after a restart never gets back a version a client still holds.
    this.#lastVersion = Math.max(loaded.maxVersion, Date.now() * 1000);
  }

  async get(key: string): Promise<StorageEntry | undefined> {
    this.#assertOpen();
    assertStorageKey(key);
    const slot = this.#slot(key);
    if (slot === undefined) return undefined;
    if ('problem' in slot) throw this.#corruptError(key, slot.problem);
    return { value: new Uint8Array(slot.value), version: slot.version };
  }

  async create(key: string, value: Uint8Array): Promise<number> {
    this.#assertOpen();
    assertStorageKey(key);
    assertValue(value);
    return this.#enqueue(key, async () => {
      if (this.#slot(key) !== undefined) throw conflict(`storage key ${JSON.stringify(key)} already exists`, key);
      return this.#write(key, value);
    });
  }

  async put(key: string, value: Uint8Array, options: PutOptions = {}): Promise<number> {
    this.#assertOpen();
    assertStorageKey(key);
    assertValue(value);
    assertExpectedVersion(options);
    return this.#enqueue(key, async () => {
      this.#checkExpectedVersion(key, options);
      return this.#write(key, value);
    });
  }

  async delete(key: string, options: PutOptions = {}): Promise<boolean> {
    this.#assertOpen();
    assertStorageKey(key);
    assertExpectedVersion(options);
    return this.#enqueue(key, async () => {
      this.#checkExpectedVersion(key, options);
      if (this.#slot(key) === undefined) return false;
      await this.#remove(key);
      return true;
    });
  }

  async list(prefix: string): Promise<string[]> {
    this.#assertOpen();
    assertStoragePrefix(prefix);
    return this.#tree.list(prefix);
  }

  watch(listener: (change: StorageChange) => void): () => void {
    this.#assertOpen();
    const wrapped = (change: StorageChange): void => listener(change);
    this.#listeners.add(wrapped);
    return () => {
      this.#listeners.delete(wrapped);
    };
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    await this.#lock.verify();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
    this.#listeners.clear();
    await this.#lock.release().catch((error: unknown) => {
      this.#log.warn({ dir: this.#dir, err: error }, 'file storage: could not remove the lock file');
    });
    this.#log.info({ dir: this.#dir }, 'file storage closed');
  }

  #assertOpen(): void {
    if (this.#closing !== undefined)
      throw new SecretsAgentError('ERR_STORAGE_UNAVAILABLE', `file storage ${this.#dir} is closed`, {
        details: { dir: this.#dir },
      });
  }

  #slot(key: string): Slot | CorruptSlot | undefined {
    const slot = this.#slots.get(key);
    if (slot !== undefined || this.#corruptFiles.size === 0) return slot;
    const problem = this.#corruptFiles.get(relativeFile(key));
    return problem === undefined ? undefined : { problem };
  }

  #checkExpectedVersion(key: string, options: PutOptions): void {
    if (options.expectedVersion === undefined) return;
    const slot = this.#slot(key);
    if (slot === undefined)
      throw conflict(
        `storage key ${JSON.stringify(key)} does not exist (expected version ${options.expectedVersion})`,
        key,
      );
    if ('problem' in slot) throw this.#corruptError(key, slot.problem);
    if (slot.version !== options.expectedVersion) {
      throw conflict(
        `storage key ${JSON.stringify(key)} is at version ${slot.version}, not ${options.expectedVersion}`,
        key,
      );
    }
  }

  // Runs `task` after every earlier write of `key`; close() waits for whatever is queued.
  #enqueue<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(key, tail);
    this.#inFlight.add(tail);
    void tail.then(() => {
      this.#inFlight.delete(tail);
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    });
    return result;
  }

  async #write(key: string, value: Uint8Array): Promise<number> {
    const version = ++this.#lastVersion;
    const record = encodeRecord(key, version, value);
    const { folders, file } = encodeKeyPath(key);
    const folderDir = join(this.#dir, ...folders);
    try {
      await this.#ensureFolders(folders);
      await replaceFile(folderDir, file, record);
    } catch (error) {
      throw ioError(`cannot write storage key ${JSON.stringify(key)} to ${this.#dir}`, this.#dir, error, key);
    }
    const syncError = await syncDirectory(folderDir).then(
      () => undefined,
      (error: unknown) => error ?? new Error('fsync failed'),
    );
    // The rename was the commit point: memory follows what is on disk even if the fsync failed.
    this.#corruptFiles.delete([...folders, file].join('/'));
    this.#slots.set(key, { version, value: recordValueView(record, key) });
    this.#tree.add(key);
    this.#emit({ key, kind: 'put' });
    this.#throwSyncError(syncError, key);
    return version;
  }

  async #remove(key: string): Promise<void> {
    const { folders, file } = encodeKeyPath(key);
    const folderDir = join(this.#dir, ...folders);
    try {
      await rm(join(folderDir, file), { force: true });
    } catch (error) {
      throw ioError(`cannot delete storage key ${JSON.stringify(key)} from ${this.#dir}`, this.#dir, error, key);
    }
    const syncError = await syncDirectory(folderDir).then(
      () => undefined,
      (error: unknown) => error ?? new Error('fsync failed'),
    );
    this.#corruptFiles.delete([...folders, file].join('/'));
    this.#slots.delete(key);
    this.#tree.remove(key);
    this.#emit({ key, kind: 'delete' });
    this.#throwSyncError(syncError, key);
  }

  #throwSyncError(error: unknown, key: string): void {
    if (error !== undefined)
      throw ioError(`cannot flush storage key ${JSON.stringify(key)} to disk in ${this.#dir}`, this.#dir, error, key);
  }

  // Creates missing folders (0700) one level at a time, flushing each parent so the new entry is durable.
  async #ensureFolders(folders: readonly string[]): Promise<void> {
    for (let depth = 1; depth <= folders.length; depth += 1) {
      const relative = folders.slice(0, depth).join('/');
      if (this.#folders.has(relative)) continue;
      try {
        await mkdir(join(this.#dir, relative), { mode: 0o700 });
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
      }
      await syncDirectory(join(this.#dir, ...folders.slice(0, depth - 1)));
      this.#folders.add(relative);
    }
  }

  #emit(change: StorageChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.#log.error({ err: error, storageKey: change.key }, 'file storage: a watch listener threw');
      }
    }
  }

  #corruptError(key: string, problem: string): SecretsAgentError {
    return new SecretsAgentError(
      'ERR_STORE_CORRUPT',
      `storage key ${JSON.stringify(key)} in ${this.#dir} failed its integrity check: ${problem}`,
      {
        details: { dir: this.#dir, storageKey: key },
      },
    );
  }
}

function relativeFile(key: string): string {
  const { folders, file } = encodeKeyPath(key);
  return [...folders, file].join('/');
}

function conflict(message: string, key: string): SecretsAgentError {
  return new SecretsAgentError('ERR_STORAGE_CONFLICT', message, { details: { storageKey: key } });
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

function assertExpectedVersion(options: PutOptions): void {
  const expected: unknown = options.expectedVersion;
  if (expected === undefined || (typeof expected === 'number' && Number.isSafeInteger(expected) && expected >= 0))
    return;
  throw new SecretsAgentError(
    'ERR_USAGE',
    `Expected \`expectedVersion\` to be a non-negative integer, got ${describeValue(expected)}`,
  );
}
