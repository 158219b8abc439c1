import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { SecretsAgentError } from '../../../src/core/errors.js';
import type { Logger } from '../../../src/core/log.js';
import type { AccessAction, AccessControl, Principal } from '../../../src/store/http/access.js';
import { createBootstrapAccess } from '../../../src/store/http/bootstrap-access.js';
import type { Route } from '../../../src/store/http/router.js';
import type { InitializeOptions } from '../../../src/store/seal-manager.js';
import { createStoreServer, type StoreServer } from '../../../src/store/server.js';
import type { StorageBackend } from '../../../src/store/storage/backend.js';
import { createTestLogger } from '../../helpers/log-capture.js';
import { getTestPgpKeyPair } from '../../helpers/pgp-keypair.js';
import { openTempStorage } from './temp-storage.js';

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The body parsed as JSON when the response says it is JSON. */
  readonly json: unknown;
}

export interface RawRequest {
  readonly method?: string;
  /** Sent exactly as given (no normalization of `..` or escapes). */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: Uint8Array | string;
}

// One HTTP request with node:http, byte-exact: the path is not normalized, headers go as given.
// With a keep-alive agent, a request sent on a reused socket just as the server closed it for
// being idle (its keepAliveTimeout) fails with a reset the server never saw a request on: that one
// is sent again once on a new socket, as Node's documentation of `request.reusedSocket` advises.
export async function rawRequest(baseUrl: string, request: RawRequest, agent?: Agent): Promise<RawResponse> {
  try {
    return await sendRawRequest(baseUrl, request, agent);
  } catch (error) {
    if (!(error instanceof ReusedSocketReset)) throw error;
    return sendRawRequest(baseUrl, request, agent);
  }
}

class ReusedSocketReset extends Error {}

function sendRawRequest(baseUrl: string, request: RawRequest, agent?: Agent): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: request.method ?? 'GET',
        path: request.path,
        headers: request.headers,
        ...(agent === undefined ? {} : { agent }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const json =
            res.headers['content-type'] === 'application/json' && body.length > 0
              ? (JSON.parse(body.toString('utf8')) as unknown)
              : undefined;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
      },
    );
    let answered = false;
    req.on('response', () => {
      answered = true;
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (!answered && req.reusedSocket && error.code === 'ECONNRESET')
        reject(new ReusedSocketReset(error.message, { cause: error }));
      else reject(error);
    });
    req.end(request.body);
  });
}

export interface TestStoreOptions {
  /** Default: initialize with the shared test keypair (bootstrap mode). */
  readonly initialize?: InitializeOptions | false;
  readonly access?: AccessControl;
  readonly routes?: readonly Route[];
  readonly instanceId?: string;
  readonly log?: Logger;
  readonly maxBodyBytes?: number;
  /** Wraps the storage the server sees (e.g. to make ping() fail). */
  readonly wrapStorage?: (storage: StorageBackend) => StorageBackend;
}

export interface TestStore {
  readonly url: string;
  readonly token: string;
  readonly dataDir: string;
  readonly storage: StorageBackend;
  readonly server: StoreServer;
  readonly log: Logger;
  /** A request with `Authorization: token=<bootstrap token>` unless `authorization` is given. */
  request(request: RawRequest): Promise<RawResponse>;
  /** Closes server and storage, then opens both again on the same data directory. */
  restart(options?: TestStoreOptions): Promise<void>;
  close(): Promise<void>;
}

// A real store server on 127.0.0.1:0 over real file storage in a fresh data directory.
export async function startTestStore(options: TestStoreOptions = {}): Promise<TestStore> {
  const token = randomBytes(24).toString('hex');
  const log = options.log ?? createTestLogger();
  const { storage: firstStorage, dataDir } = await openTempStorage();
  const agent = new Agent({ keepAlive: true });
  let storage = firstStorage;
  let server = await launch(storage, options);

  async function launch(backend: StorageBackend, launchOptions: TestStoreOptions): Promise<StoreServer> {
    return createStoreServer({
      storage: launchOptions.wrapStorage === undefined ? backend : launchOptions.wrapStorage(backend),
      access: launchOptions.access ?? createBootstrapAccess(token),
      log,
      listen: { host: '127.0.0.1', port: 0 },
      initialize: launchOptions.initialize ?? { keyPair: await getTestPgpKeyPair() },
      ...(launchOptions.routes === undefined ? {} : { routes: launchOptions.routes }),
      ...(launchOptions.instanceId === undefined ? {} : { instanceId: launchOptions.instanceId }),
      ...(launchOptions.maxBodyBytes === undefined ? {} : { maxBodyBytes: launchOptions.maxBodyBytes }),
    });
  }

  const store: TestStore = {
    get url() {
      return server.url;
    },
    token,
    dataDir,
    get storage() {
      return storage;
    },
    get server() {
      return server;
    },
    log,
    request(request) {
      const headers = { authorization: `token=${token}`, ...request.headers };
      return rawRequest(server.url, { ...request, headers }, agent);
    },
    async restart(restartOptions = options) {
      await server.close();
      await storage.close();
      storage = (await openTempStorage(dataDir)).storage;
      server = await launch(storage, restartOptions);
    },
    async close() {
      agent.destroy();
      await server.close();
      await storage.close();
    },
  };
  return store;
}

export interface RecordingAccess extends AccessControl {
  /** Every authorize() call, as `<rid> <action>`. */
  readonly calls: string[];
  /** `<rid> <action>` pairs to refuse with ERR_FORBIDDEN. */
  readonly deny: Set<string>;
}

// Access control for rid tests: `token=alice` authenticates uid `alice`; authorize() records and
// refuses what `deny` lists, like the IAM would.
export function createRecordingAccess(): RecordingAccess {
  const calls: string[] = [];
  const deny = new Set<string>();
  return {
    calls,
    deny,
    async authenticate(headers): Promise<Principal> {
      if (headers.authorization === undefined)
        throw new SecretsAgentError('ERR_AUTH_REQUIRED', 'authentication required');
      if (headers.authorization !== 'token=alice')
        throw new SecretsAgentError('ERR_AUTH_TOKEN_INVALID', 'invalid authentication token');
      return { uid: 'alice', superuser: false };
    },
    async authorize(_principal: Principal, rid: string, action: AccessAction) {
      calls.push(`${rid} ${action}`);
      if (deny.has(`${rid} ${action}`))
        throw new SecretsAgentError('ERR_FORBIDDEN', `permission \`${rid}\` \`${action}\` is required`, {
          details: { rid, action },
        });
    },
  };
}
