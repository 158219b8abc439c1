// The real Secret Store with the real IAM for daemon tests, behind a small counting proxy:
// `requests()` counts what reached the store by method and path, `stop()`/`start()` take the
// store server away and bring it back on the same port (same storage and IAM: a store restart,
// so the change feed starts a new epoch).
import { randomBytes } from 'node:crypto';
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../../src/core/log.js';
import {
  bootstrapIam,
  createServiceAccountCredential,
  type ServiceAccountCredential,
} from '../../../src/store/iam/bootstrap.js';
import { createIam, type Iam } from '../../../src/store/iam/iam.js';
import { createStoreServer, type StoreServer } from '../../../src/store/server.js';
import type { StorageBackend } from '../../../src/store/storage/backend.js';
import { openStorage } from '../../../src/store/storage/open-storage.js';
import { createTestLogger } from '../../helpers/log-capture.js';
import { getTestPgpKeyPair } from '../../helpers/pgp-keypair.js';
import { startForwardingProxy } from './forwarding-proxy.js';

export interface DaemonStore {
  /** The proxy's URL: what the daemon talks to. */
  readonly url: string;
  readonly iam: Iam;
  readonly log: Logger;
  /** Requests that reached the store, e.g. `GET /secrets/v1/secret/default/app/db`. */
  count(methodAndPath: string): number;
  /** A service account granted full access to `secret/*` paths, its credential written to `file` (atomic rename). */
  writeServiceAccount(uid: string, file: string): Promise<ServiceAccountCredential>;
  setSecret(path: string, value: string): Promise<void>;
  /** Closes the store server: requests fail as unreachable until start(). */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startDaemonStore(options: { tokenLifetimeSeconds?: number } = {}): Promise<DaemonStore> {
  const dataDir = await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'daemon-store-'));
  const log = createTestLogger('info');
  const storage: StorageBackend = await openStorage({ dataDir, log });
  const iam = await createIam({
    storage,
    log,
    ...(options.tokenLifetimeSeconds === undefined ? {} : { tokenLifetimeSeconds: options.tokenLifetimeSeconds }),
  });
  const superuser = { uid: 'admin', password: `pw-${randomBytes(8).toString('hex')}` };
  await bootstrapIam({ iam, superuser });
  const keyPair = await getTestPgpKeyPair();
  let port = 0;
  let server: StoreServer | undefined;
  const launch = async (): Promise<void> => {
    server = await createStoreServer({
      storage,
      access: iam.access,
      routes: iam.routes,
      log,
      listen: { host: '127.0.0.1', port },
      initialize: { keyPair },
      closeGraceMs: 50,
    });
    port = Number(new URL(server.url).port);
  };
  await launch();

  const counts = new Map<string, number>();
  const proxy = await startForwardingProxy({
    upstream: () => ({ host: '127.0.0.1', port }),
    inspect(req) {
      const key = `${req.method} ${(req.url ?? '').split('?')[0]}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return false;
    },
  });
  const url = proxy.url;
  // A fresh login per write: tokens may live only seconds in these tests.
  const adminToken = async (): Promise<string> =>
    (await iam.login({ uid: superuser.uid, password: superuser.password }, '127.0.0.1')).token;

  return {
    url,
    iam,
    log,
    count: (key) => counts.get(key) ?? 0,
    async writeServiceAccount(uid, file) {
      const credential = await createServiceAccountCredential({
        iam,
        uid,
        loginEndpoint: `${url}/acs/api/v1/auth/login`,
      });
      for (const rid of ['dcos:secrets:default:/*', 'dcos:secrets:list:default:/'])
        await iam.grant({ uid, rid, action: 'full' }, { createAcl: true });
      const temp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
      await writeFile(temp, JSON.stringify(credential), { mode: 0o600 });
      await rename(temp, file);
      return credential;
    },
    async setSecret(path, value) {
      const body = JSON.stringify({ value });
      const headers = { authorization: `token=${await adminToken()}`, 'content-type': 'application/json' };
      for (const method of ['PATCH', 'PUT']) {
        const status = await send(url, method, `/secrets/v1/secret/default/${path}`, headers, body);
        if (status < 300) return;
        if (status !== 404) throw new Error(`${method} ${path}: ${status}`);
      }
      throw new Error(`cannot write ${path}`);
    },
    async stop() {
      await server?.close();
      server = undefined;
    },
    async start() {
      if (server === undefined) await launch();
    },
    async close() {
      await proxy.close();
      await server?.close();
      await iam.close();
      await storage.close();
    },
  };
}

function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}
