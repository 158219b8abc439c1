import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretsAgentError } from '../../../../src/core/errors.js';
import type { Logger } from '../../../../src/core/log.js';
import { parseJsonBody, readBody } from '../../../../src/store/http/read-body.js';
import { sendEmpty, sendJson } from '../../../../src/store/http/respond.js';
import { createRouter, type Route } from '../../../../src/store/http/router.js';
import { createIam, type Iam, type IamOptions } from '../../../../src/store/iam/iam.js';
import type { StorageBackend } from '../../../../src/store/storage/backend.js';
import { openFileBackend } from '../../../../src/store/storage/file-backend.js';
import { createTestLogger } from '../../../helpers/log-capture.js';

export interface IamTestServer {
  readonly url: string;
  readonly iam: Iam;
  readonly storage: StorageBackend;
  /** The file storage directory (when the server opened its own storage). */
  readonly dir: string | undefined;
  readonly log: Logger;
  /** Secrets held by the test-only secret routes, by path. */
  readonly secrets: Map<string, string>;
  close(): Promise<void>;
}

// A fresh file storage directory under the run's scratch root.
export async function openTestStorage(): Promise<{ storage: StorageBackend; dir: string }> {
  const dir = await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'iam-storage-'));
  return { storage: await openFileBackend({ dir }), dir };
}

// A real node:http server on 127.0.0.1:0 over real file storage: the IAM routes plus a tiny secret route set that
// authorizes exactly like the store's (rid `dcos:secrets:<store>:/<path>`, GET read, PUT create,
// PATCH update, DELETE delete, `?list=true` -> `dcos:secrets:list:<store>:/<path>` read).
export async function startIamServer(options: Partial<IamOptions> = {}): Promise<IamTestServer> {
  const log = options.log ?? createTestLogger();
  const own = options.storage === undefined ? await openTestStorage() : undefined;
  const storage = options.storage ?? (own as { storage: StorageBackend }).storage;
  const iam = await createIam({ ...options, storage, log });
  const secrets = new Map<string, string>();
  const router = createRouter({ routes: [...iam.routes, ...createTestSecretRoutes(secrets)], access: iam.access, log });
  const server = createServer(router);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    iam,
    storage,
    dir: own?.dir,
    log,
    secrets,
    async close() {
      await closeServer(server);
      await iam.close();
      if (own !== undefined) await storage.close();
    },
  };
}

async function closeServer(server: Server): Promise<void> {
  server.closeIdleConnections();
  await new Promise<void>((resolve, reject) => {
    server.close((error) => (error === undefined ? resolve() : reject(error)));
    server.closeAllConnections();
  });
}

function createTestSecretRoutes(secrets: Map<string, string>): Route[] {
  const pathOf = (raw: string | undefined): string => decodeURIComponent(raw ?? '');
  return [
    {
      method: 'GET',
      pattern: '/secrets/v1/secret/:store/*path',
      async handler({ params, url, res, authorize }) {
        const path = pathOf(params['path']);
        if (url.searchParams.get('list') === 'true') {
          await authorize(`dcos:secrets:list:${params['store']}:/${path}`, 'read');
          const prefix = path === '' ? '' : `${path}/`;
          sendJson(res, 200, { array: [...secrets.keys()].filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length)).sort() });
          return;
        }
        await authorize(`dcos:secrets:${params['store']}:/${path}`, 'read');
        const value = secrets.get(path);
        if (value === undefined) throw new SecretsAgentError('ERR_SECRET_NOT_FOUND', `Secret \`${path}\` does not exist`);
        sendJson(res, 200, { value });
      },
    },
    {
      method: 'PUT',
      pattern: '/secrets/v1/secret/:store/*path',
      async handler({ params, req, res, authorize }) {
        const path = pathOf(params['path']);
        await authorize(`dcos:secrets:${params['store']}:/${path}`, 'create');
        const body = parseJsonBody(await readBody(req, 1 << 20), 'secret') as { value?: unknown } | undefined;
        if (secrets.has(path)) throw new SecretsAgentError('ERR_SECRET_EXISTS', `Secret \`${path}\` already exists`);
        secrets.set(path, typeof body?.value === 'string' ? body.value : '');
        sendEmpty(res, 201);
      },
    },
    {
      method: 'PATCH',
      pattern: '/secrets/v1/secret/:store/*path',
      async handler({ params, req, res, authorize }) {
        const path = pathOf(params['path']);
        await authorize(`dcos:secrets:${params['store']}:/${path}`, 'update');
        const body = parseJsonBody(await readBody(req, 1 << 20), 'secret') as { value?: unknown } | undefined;
        if (!secrets.has(path)) throw new SecretsAgentError('ERR_SECRET_NOT_FOUND', `Secret \`${path}\` does not exist`);
        secrets.set(path, typeof body?.value === 'string' ? body.value : '');
        sendEmpty(res, 204);
      },
    },
    {
      method: 'DELETE',
      pattern: '/secrets/v1/secret/:store/*path',
      async handler({ params, res, authorize }) {
        const path = pathOf(params['path']);
        await authorize(`dcos:secrets:${params['store']}:/${path}`, 'delete');
        if (!secrets.delete(path)) throw new SecretsAgentError('ERR_SECRET_NOT_FOUND', `Secret \`${path}\` does not exist`);
        sendEmpty(res, 204);
      },
    },
  ];
}
