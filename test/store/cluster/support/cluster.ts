// Several real store instances (createStoreServer + the real IAM) on one real ZooKeeper ensemble,
// as they run behind a load balancer: each with its own ZooKeeper session, mirror, seal state and
// instance id, sharing secrets, keyring and IAM through storage.
import { setTimeout as delay } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import type { Logger } from '../../../../src/core/log.js';
import { bootstrapIam } from '../../../../src/store/iam/bootstrap.js';
import { createIam, type Iam } from '../../../../src/store/iam/iam.js';
import { createStoreServer, type StoreServer } from '../../../../src/store/server.js';
import type { StorageBackend } from '../../../../src/store/storage/backend.js';
import { openStorage } from '../../../../src/store/storage/open-storage.js';
import { createTestLogger } from '../../../helpers/log-capture.js';
import { getTestPgpKeyPair } from '../../../helpers/pgp-keypair.js';
import type { ZooKeeperEnsemble } from '../../../helpers/zookeeper-ensemble.js';
export { membersByMode } from '../../../helpers/zookeeper-fixture.js';
import { rawRequest, type RawRequest, type RawResponse } from '../../support/store-server.js';

export const zkAuth = 'secrets-agent:cluster-test-password';

export interface StoreInstance {
  readonly instanceId: string;
  readonly url: string;
  readonly server: StoreServer;
  readonly storage: StorageBackend;
  readonly iam: Iam;
  /** A request with `Authorization: token=<token>` (the superuser's unless `token` is given; null: none). */
  request(request: RawRequest & { token?: string | null }): Promise<RawResponse>;
  /** Closes server, IAM and storage (a clean stop of this instance). Safe to call twice. */
  close(): Promise<void>;
}

export interface StoreCluster {
  readonly instances: StoreInstance[];
  readonly superuser: { readonly uid: string; readonly password: string };
  /** The superuser's token (issued by the first instance; every instance accepts it). */
  readonly token: string;
  /** Starts another instance on the same root path. */
  addInstance(instanceId: string): Promise<StoreInstance>;
  close(): Promise<void>;
}

export interface StoreClusterOptions {
  readonly ensemble: ZooKeeperEnsemble;
  /** A fresh znode root per cluster, e.g. `/cluster-a`. */
  readonly rootPath: string;
  readonly instanceIds: readonly string[];
  /** zk:// URL parameters (sessionTimeoutMs, operationTimeoutMs). */
  readonly zkParameters?: Readonly<Record<string, number>>;
  readonly log?: Logger;
}

// Starts the instances one after the other; the first initializes the store and bootstraps the IAM.
export async function startStoreCluster(options: StoreClusterOptions): Promise<StoreCluster> {
  const log = options.log ?? createTestLogger();
  const superuser = { uid: 'admin', password: `pw-${randomBytes(8).toString('hex')}` };
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const query = new URLSearchParams({ juteMaxBufferBytes: String(options.ensemble.juteMaxBufferBytes) });
  for (const [name, value] of Object.entries(options.zkParameters ?? {})) query.set(name, String(value));
  const location = `zk://${options.ensemble.connectionString}${options.rootPath}?${query.toString()}`;
  const instances: StoreInstance[] = [];
  let token = '';

  async function addInstance(instanceId: string): Promise<StoreInstance> {
    const storage = await openStorage({ storage: location, zookeeperAuth: zkAuth, log });
    const iam = await createIam({ storage, log });
    if (iam.getAccount(superuser.uid) === undefined) await bootstrapIam({ iam, superuser });
    const server = await createStoreServer({
      storage,
      access: iam.access,
      routes: iam.routes,
      log,
      listen: { host: '127.0.0.1', port: 0 },
      initialize: { keyPair: await getTestPgpKeyPair() },
      instanceId,
      closeGraceMs: 1000,
    });
    if (token === '') token = await iam.issueToken(superuser.uid);
    let closing: Promise<void> | undefined;
    const instance: StoreInstance = {
      instanceId,
      url: server.url,
      server,
      storage,
      iam,
      request(request) {
        const bearer = request.token === undefined ? token : request.token;
        const headers = { ...(bearer === null ? {} : { authorization: `token=${bearer}` }), ...request.headers };
        return rawRequest(server.url, { ...request, headers }, agent);
      },
      close() {
        closing ??= (async () => {
          await server.close();
          await iam.close();
          await storage.close();
        })();
        return closing;
      },
    };
    instances.push(instance);
    return instance;
  }

  try {
    for (const instanceId of options.instanceIds) await addInstance(instanceId);
  } catch (error) {
    await Promise.allSettled(instances.map((instance) => instance.close()));
    agent.destroy();
    throw error;
  }
  return {
    instances,
    superuser,
    get token() {
      return token;
    },
    addInstance,
    async close() {
      agent.destroy();
      await Promise.allSettled(instances.map((instance) => instance.close()));
    },
  };
}

// Retries `probe` until it stops throwing (bounded): for states reached through watches or recovery.
export async function eventually<T>(probe: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await delay(20);
    }
  }
}

export const jsonHeaders = { 'content-type': 'application/json' };

export function secretUrl(path: string): string {
  return `/secrets/v1/secret/default/${path}`;
}

export function valueOf(response: RawResponse): string {
  if (response.status !== 200) throw new Error(`GET answered ${response.status}: ${response.body.toString('utf8')}`);
  return (response.json as { value: string }).value;
}
