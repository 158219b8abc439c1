// The Secret Store in-process: the same repository and seal logic as the server, no HTTP, no
// access control (whoever can open the data directory owns it). Used by the CLI and the agent
// when no `--url` is given.
import { createSilentLogger, type Logger } from '../core/log.js';
import type { SecretInput, SecretRecord, SecretsApi, SealStatus } from '../core/secrets-api.js';
import { openStorage } from './storage/open-storage.js';
import type { InitializeOptions } from './seal-manager.js';
import { openSecretStore, type SecretStore } from './secret-store.js';

export interface EmbeddedStoreOptions {
  /** The store's data directory (file storage in `<dataDir>/storage`). */
  readonly dataDir: string;
  /** Storage location for openStorage (default `file:`, i.e. under `dataDir`). */
  readonly storage?: string;
  readonly instanceId?: string;
  /** `user:password` for ZooKeeper digest auth with `zk://` storage; never logged. */
  readonly zookeeperAuth?: string;
  readonly log?: Logger;
  /** Recorded as the author of secrets written through this store. Default `local`. */
  readonly author?: string;
  /** Initialize when not initialized yet; default false (ERR_STORE_NOT_INITIALIZED on use). */
  readonly initialize?: InitializeOptions | false;
  /** File storage: how long to wait while another process has the directory open. Default
   * 10 s: CLI commands and `run`s hold it for milliseconds, and several may start at once. */
  readonly lockWaitMs?: number;
}

const defaultLockWaitMs = 10_000;

export interface EmbeddedStore extends SecretsApi {
  readonly store: SecretStore;
}

// Opens the store in `dataDir`, auto-unsealing when it can; close() also closes the storage.
export async function openEmbeddedStore(options: EmbeddedStoreOptions): Promise<EmbeddedStore> {
  const log = options.log ?? createSilentLogger();
  const author = options.author ?? 'local';
  const storage = await openStorage({
    dataDir: options.dataDir,
    storage: options.storage,
    zookeeperAuth: options.zookeeperAuth,
    log,
    lockWaitMs: options.lockWaitMs ?? defaultLockWaitMs,
  });
  let store: SecretStore;
  try {
    store = await openSecretStore({
      storage,
      log,
      initialize: options.initialize ?? false,
      // A short-lived CLI or agent process with no seal API to serve: the child-process isolation
      // exists so a long-running server forgets on seal, and costs a second node start here.
      pgpIsolation: 'in-process',
      ...(options.instanceId === undefined ? {} : { instanceId: options.instanceId }),
    });
  } catch (error) {
    await storage.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    store,
    getSecret: (path: string): Promise<SecretRecord> => store.secrets.get(path),
    createSecret: (path: string, input: SecretInput): Promise<void> => store.secrets.create(path, input, author),
    updateSecret: (path: string, input: SecretInput): Promise<void> => store.secrets.update(path, input, author),
    deleteSecret: (path: string): Promise<void> => store.secrets.delete(path),
    listSecrets: (path: string): Promise<string[]> => store.secrets.list(path),
    sealStatus: async (): Promise<SealStatus> => store.seal.status(),
    close() {
      closing ??= (async () => {
        await store.close();
        await storage.close();
      })();
      return closing;
    },
  };
}
