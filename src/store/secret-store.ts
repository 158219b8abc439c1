// One store (`default`) over a storage backend: its seal state and its secrets. Both the HTTP
// server and the embedded (in-process) store are built on this.
import type { Logger } from '../core/log.js';
import type { StorageBackend } from './storage/backend.js';
import { openSealManager, type InitializeOptions, type SealManager } from './seal-manager.js';
import { createSecretRepository, type SecretRepository } from './secret-repository.js';
import { defaultStoreName } from './store-keys.js';

export interface OpenSecretStoreOptions {
  readonly storage: StorageBackend;
  readonly log: Logger;
  /** Names this instance's seal intent (several instances may share a storage). Default `default`. */
  readonly instanceId?: string;
  /** Initialize with these options when the store is not initialized yet; false (default): do not. */
  readonly initialize?: InitializeOptions | false;
  /** Auto-unseal on open when possible. Default true. */
  readonly autoUnseal?: boolean;
  /** See SealManagerOptions.pgpIsolation. */
  readonly pgpIsolation?: 'child-process' | 'in-process';
  readonly now?: () => Date;
}

export interface SecretStore {
  readonly name: string;
  readonly storage: StorageBackend;
  readonly seal: SealManager;
  readonly secrets: SecretRepository;
  /** Wipes keys from memory; leaves the storage open (its owner closes it). Safe to call twice. */
  close(): Promise<void>;
}

// Opens the `default` store: loads (or creates) its init record and unseals it when it can.
export async function openSecretStore(options: OpenSecretStoreOptions): Promise<SecretStore> {
  const seal = await openSealManager({
    storage: options.storage,
    log: options.log,
    store: defaultStoreName,
    ...(options.instanceId === undefined ? {} : { instanceId: options.instanceId }),
    ...(options.initialize === undefined ? {} : { initialize: options.initialize }),
    ...(options.autoUnseal === undefined ? {} : { autoUnseal: options.autoUnseal }),
    ...(options.pgpIsolation === undefined ? {} : { pgpIsolation: options.pgpIsolation }),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  const secrets = createSecretRepository({
    storage: options.storage,
    store: defaultStoreName,
    keyring: () => seal.requireKeyring(),
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  return { name: defaultStoreName, storage: options.storage, seal, secrets, close: () => seal.close() };
}
