// The real store for the store-* benches: createStoreServer over file storage with the real IAM
// (or a bootstrap token), a reader account, and one text secret. Logging is silent, as in production
// at level info a GET logs nothing either.
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSilentLogger } from '../../src/core/log.js';
import { generatePgpKeyPair, type PgpKeyPair } from '../../src/crypto/openpgp.js';
import { createBootstrapAccess } from '../../src/store/http/bootstrap-access.js';
import { createIam, type Iam } from '../../src/store/iam/iam.js';
import { createStoreServer, type StoreServer } from '../../src/store/server.js';
import { openStorage } from '../../src/store/storage/open-storage.js';

export const secretPath = 'bench/db-password';
export const secretUrlPath = `/secrets/v1/secret/default/${secretPath}`;

export interface BenchStore {
  readonly url: string;
  readonly server: StoreServer;
  readonly iam: Iam;
  /** An auth token of `reader` (read on the secret only) from the IAM. */
  readonly readerToken: string;
  /** The bootstrap token, when started with `bootstrapToken: true`. */
  readonly bootstrapToken: string | undefined;
  close(): Promise<void>;
}

let keyPair: Promise<PgpKeyPair> | undefined;

// Starts a store; `bootstrapToken: true` puts the bootstrap-token access control in front instead of the IAM.
export async function startBenchStore(options: { bootstrapToken?: boolean } = {}): Promise<BenchStore> {
  const log = createSilentLogger();
  keyPair ??= generatePgpKeyPair({ name: 'bench bootstrap' });
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-store-'));
  const storage = await openStorage({ dataDir, log });
  const iam = await createIam({
    storage,
    log,
    loginThrottle: { freeFailuresPerUid: 1_000_000, freeFailuresPerPeer: 1_000_000 },
  });
  await iam.createUser({ uid: 'reader', password: `pw-${randomBytes(8).toString('hex')}` });
  await iam.grant({ uid: 'reader', rid: `dcos:secrets:default:/${secretPath}`, action: 'read' }, { createAcl: true });
  const bootstrapToken = options.bootstrapToken === true ? randomBytes(24).toString('hex') : undefined;
  const server = await createStoreServer({
    storage,
    access: bootstrapToken === undefined ? iam.access : createBootstrapAccess(bootstrapToken),
    routes: iam.routes,
    log,
    listen: { host: '127.0.0.1', port: 0 },
    initialize: { keyPair: await keyPair },
    closeGraceMs: 100,
  });
  const value = randomBytes(32).toString('hex');
  await server.store.secrets.create(secretPath, { type: 'text', bytes: new Uint8Array(Buffer.from(value)) }, 'bench');
  return {
    url: server.url,
    server,
    iam,
    readerToken: await iam.issueToken('reader'),
    bootstrapToken,
    async close() {
      await server.close();
      await iam.close();
      await storage.close();
    },
  };
}

// A bare node:http server answering every request with `body` as JSON, the same bytes the store sends.
export async function startBareServer(body: Buffer): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': body.length,
      'cache-control': 'no-store',
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// Reads the secret once through the store, for the bare server's body.
export async function fetchSecretBody(store: BenchStore): Promise<Buffer> {
  const response = await fetch(`${store.url}${secretUrlPath}`, {
    headers: { authorization: `token=${store.readerToken}` },
  });
  if (response.status !== 200) throw new Error(`GET ${secretUrlPath} answered ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

// A service account whose login token (RS256, built with node:crypto) stays valid for ~9 minutes.
export async function createServiceLogin(iam: Iam, uid: string): Promise<string> {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await iam.createServiceAccount({
    uid,
    publicKeyPem: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  });
  const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ uid, exp: Math.floor(Date.now() / 1000) + 540 })}`;
  return `${input}.${sign('sha256', Buffer.from(input), keys.privateKey).toString('base64url')}`;
}
