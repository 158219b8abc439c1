import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSecretsAgentError } from '../../../../src/core/errors.js';
import type { Logger } from '../../../../src/core/log.js';
import { createIam, type Iam, type IamOptions } from '../../../../src/store/iam/iam.js';
import { createStoreServer, type StoreServer } from '../../../../src/store/server.js';
import type { StorageBackend } from '../../../../src/store/storage/backend.js';
import { openFileBackend } from '../../../../src/store/storage/file-backend.js';
import { openStorage } from '../../../../src/store/storage/open-storage.js';
import { createTestLogger } from '../../../helpers/log-capture.js';
import { getTestPgpKeyPair } from '../../../helpers/pgp-keypair.js';

/** Text secrets in the real store, set and read in-process (test setup and checks, not under test). */
export interface TestSecrets {
  set(path: string, value: string): Promise<void>;
  get(path: string): Promise<string | undefined>;
  delete(path: string): Promise<boolean>;
  clear(): Promise<void>;
}

export interface IamTestServer {
  readonly url: string;
  readonly iam: Iam;
  readonly server: StoreServer;
  readonly storage: StorageBackend;
  /** The store's data directory (when the server opened its own storage). */
  readonly dir: string | undefined;
  readonly log: Logger;
  readonly secrets: TestSecrets;
  close(): Promise<void>;
}

// A fresh file storage directory under the run's scratch root.
export async function openTestStorage(): Promise<{ storage: StorageBackend; dir: string }> {
  const dir = await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'iam-storage-'));
  return { storage: await openFileBackend({ dir }), dir };
}

export interface IamTestServerOptions {
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** false: leave the store uninitialized (PUT /init is the test's to send). */
  readonly initialize?: false;
}

// The product's pipeline: the real createStoreServer on 127.0.0.1:0 over real file storage, with the
// IAM's access control and routes, initialized and unsealed with the shared test keypair.
export async function startIamServer(
  options: Partial<IamOptions> = {},
  serverOptions: IamTestServerOptions = {},
): Promise<IamTestServer> {
  const log = options.log ?? createTestLogger();
  const ownDir =
    options.storage === undefined
      ? await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'iam-store-'))
      : undefined;
  const storage = options.storage ?? (await openStorage({ dataDir: ownDir as string, log }));
  const iam = await createIam({ ...options, storage, log });
  const server = await createStoreServer({
    storage,
    access: iam.access,
    routes: iam.routes,
    log,
    listen: { host: '127.0.0.1', port: 0 },
    initialize: serverOptions.initialize === false ? false : { keyPair: await getTestPgpKeyPair() },
    closeGraceMs: 100,
    ...(serverOptions.tls === undefined ? {} : { tls: serverOptions.tls }),
  });
  return {
    url: server.url,
    iam,
    server,
    storage,
    dir: ownDir,
    log,
    secrets: createTestSecrets(server),
    async close() {
      await server.close();
      await iam.close();
      if (ownDir !== undefined) await storage.close();
    },
  };
}

function createTestSecrets(server: StoreServer): TestSecrets {
  const repository = server.store.secrets;
  const text = (value: string) => ({ type: 'text' as const, bytes: new Uint8Array(Buffer.from(value, 'utf8')) });
  const remove = async (path: string): Promise<boolean> => {
    try {
      await repository.delete(path);
      return true;
    } catch (error) {
      if (isSecretsAgentError(error, 'ERR_SECRET_NOT_FOUND')) return false;
      throw error;
    }
  };
  return {
    async set(path, value) {
      await remove(path);
      await repository.create(path, text(value));
    },
    async get(path) {
      try {
        return Buffer.from((await repository.get(path)).bytes).toString('utf8');
      } catch (error) {
        if (isSecretsAgentError(error, 'ERR_SECRET_NOT_FOUND')) return undefined;
        throw error;
      }
    },
    delete: remove,
    async clear() {
      for (const path of await repository.list('')) await remove(path);
    },
  };
}
