// The real Secret Store for client tests (startIamServer: createStoreServer over real file storage
// with the real IAM), plus a superuser, optional TLS, and a clock the test can move.
import { randomBytes } from 'node:crypto';
import type { Logger } from '../../../src/core/log.js';
import {
  bootstrapIam,
  createServiceAccountCredential,
  type ServiceAccountCredential,
} from '../../../src/store/iam/bootstrap.js';
import type { Iam } from '../../../src/store/iam/iam.js';
import type { StoreServer } from '../../../src/store/server.js';
import type { StorageBackend } from '../../../src/store/storage/backend.js';
import { startIamServer } from '../../store/iam/support/iam-server.js';

export interface RealStoreOptions {
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  readonly tokenLifetimeSeconds?: number;
}

export interface RealStore {
  readonly url: string;
  readonly iam: Iam;
  readonly server: StoreServer;
  readonly storage: StorageBackend;
  readonly log: Logger;
  readonly superuser: { readonly uid: string; readonly password: string };
  /** Moves the IAM's clock (token issue and expiry checks) forward. */
  advanceClock(ms: number): void;
  /** Puts the IAM's clock back on the system clock. */
  resetClock(): void;
  /** The IAM's current time in ms. */
  nowMs(): number;
  /** A user with `password`, granted `full` on `rids` (ACLs created as needed). */
  createUser(uid: string, rids: readonly string[]): Promise<{ uid: string; password: string }>;
  /** A service account with its credential (login_endpoint on this store), granted `full` on `rids`. */
  createServiceAccount(uid: string, rids: readonly string[]): Promise<ServiceAccountCredential>;
  close(): Promise<void>;
}

// Starts the store on 127.0.0.1:0, initialized and unsealed with the shared test keypair.
export async function startRealStore(options: RealStoreOptions = {}): Promise<RealStore> {
  let offsetMs = 0;
  const nowMs = (): number => Date.now() + offsetMs;
  const { iam, server, storage, log, close } = await startIamServer(
    {
      now: nowMs,
      ...(options.tokenLifetimeSeconds === undefined ? {} : { tokenLifetimeSeconds: options.tokenLifetimeSeconds }),
    },
    options.tls === undefined ? {} : { tls: options.tls },
  );
  const superuser = { uid: 'admin', password: `pw-${randomBytes(8).toString('hex')}` };
  await bootstrapIam({ iam, superuser });
  const grantAll = async (uid: string, rids: readonly string[]): Promise<void> => {
    for (const rid of rids) await iam.grant({ uid, rid, action: 'full' }, { createAcl: true });
  };
  return {
    url: server.url,
    iam,
    server,
    storage,
    log,
    superuser,
    advanceClock(ms) {
      offsetMs += ms;
    },
    resetClock() {
      offsetMs = 0;
    },
    nowMs,
    async createUser(uid, rids) {
      const password = `pw-${randomBytes(8).toString('hex')}`;
      await iam.createUser({ uid, password });
      await grantAll(uid, rids);
      return { uid, password };
    },
    async createServiceAccount(uid, rids) {
      const credential = await createServiceAccountCredential({
        iam,
        uid,
        loginEndpoint: `${server.url}/acs/api/v1/auth/login`,
      });
      await grantAll(uid, rids);
      return credential;
    },
    close,
  };
}
