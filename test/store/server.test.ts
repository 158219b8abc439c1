import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { request as httpsRequest } from 'node:https';
import { Agent, request as httpRequest, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Writable } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/log.js';
import { createBootstrapAccess } from '../../src/store/http/bootstrap-access.js';
import { sendJson } from '../../src/store/http/respond.js';
import { createStoreServer } from '../../src/store/server.js';
import type { StorageBackend } from '../../src/store/storage/backend.js';
import { recordLogText } from '../helpers/log-capture.js';
import { getTestPgpKeyPair } from '../helpers/pgp-keypair.js';
import { rawRequest, startTestStore } from './support/store-server.js';
import { makeDataDir, openTempStorage } from './support/temp-storage.js';
import { expectRejection } from '../helpers/rejection.js';

const run = promisify(execFile);
let storage: StorageBackend;

beforeAll(async () => {
  storage = (await openTempStorage()).storage;
});

afterAll(async () => {
  await storage.close();
});

function capturingLogger(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const text = chunk.toString('utf8');
      recordLogText(text);
      lines.push(...text.split('\n').filter((line) => line !== ''));
      callback();
    },
  });
  return { log: createLogger({ level: 'debug', destination }), lines };
}

describe('createStoreServer', () => {
  it('logs exactly one line with the URL; close() is idempotent and drops idle keep-alive sockets', async () => {
    const { log, lines } = capturingLogger();
    const server = await createStoreServer({
      storage,
      access: createBootstrapAccess('t0ken'),
      log,
      listen: { host: '127.0.0.1', port: 0 },
      initialize: { keyPair: await getTestPgpKeyPair() },
      closeGraceMs: 60_000,
    });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const withUrl = lines.filter((line) => line.includes(server.url));
    expect(withUrl).toHaveLength(1);
    expect(JSON.parse(withUrl[0] ?? '{}')).toMatchObject({ msg: 'secret store listening', url: server.url });

    const agent = new Agent({ keepAlive: true });
    const socket = await new Promise<Socket>((resolve, reject) => {
      const req = httpRequest(`${server.url}/secrets/v1/ping`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(req.socket as Socket));
      });
      req.on('error', reject);
      req.end();
    });
    const socketClosed = once(socket, 'close');
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    // With a 60 s grace period, only closing idle sockets at once lets this resolve.
    await socketClosed;
    agent.destroy();
    expect(lines.filter((line) => line.includes(server.url))).toHaveLength(1);
    const refused = await rawRequest(server.url, { path: '/secrets/v1/ping' }).then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code,
    );
    expect(refused).toBe('ECONNREFUSED');
  });

  it('serves the extra routes it is given beside the Secrets API; unknown paths 404, wrong methods 405', async () => {
    const store = await startTestStore({
      routes: [
        {
          method: 'GET',
          pattern: '/acs/api/v1/hello',
          async handler({ res }) {
            sendJson(res, 200, { hello: 'iam' });
          },
        },
      ],
    });
    try {
      expect((await store.request({ path: '/acs/api/v1/hello' })).json).toEqual({ hello: 'iam' });
      expect((await store.request({ path: '/secrets/v1/ping' })).body.toString('utf8')).toBe('pong');
      const unknown = await store.request({ path: '/secrets/v1/revoke/default/x' });
      expect(unknown.status).toBe(404);
      expect(unknown.json).toMatchObject({ code: 'ERR_ROUTE_NOT_FOUND' });
      expect((await store.request({ method: 'POST', path: '/secrets/v1/secret/default/x' })).status).toBe(405);
    } finally {
      await store.close();
    }
  });

  it('serves HTTPS with --tls-cert/--tls-key files', async () => {
    const dir = await makeDataDir('tls-');
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    const { log } = capturingLogger();
    const server = await createStoreServer({
      storage,
      access: createBootstrapAccess('t0ken'),
      log,
      listen: { host: '127.0.0.1', port: 0 },
      tls: { certFile, keyFile },
      initialize: { keyPair: await getTestPgpKeyPair() },
    });
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = await readFile(certFile);
      const body = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(
          `${server.url}/secrets/v1/seal-status/default`,
          { ca, headers: { authorization: 'token=t0ken' } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(JSON.parse(body)).toEqual({ sealed: false, threshold: 1, shares: 1, progress: 0 });
    } finally {
      await server.close();
    }
    const error = await expectRejection(
      createStoreServer({
        storage,
        access: createBootstrapAccess('t'),
        log,
        listen: { host: '127.0.0.1', port: 0 },
        tls: { certFile: join(dir, 'missing.pem'), keyFile },
      }),
      'ERR_TLS_CONFIG',
    );
    expect(error.message).toContain('--tls-cert');
    await expectRejection(
      createStoreServer({
        storage,
        access: createBootstrapAccess('t'),
        log,
        listen: { host: '127.0.0.1', port: 0 },
        tls: { certFile: keyFile, keyFile: certFile },
      }),
      'ERR_TLS_CONFIG',
    );
  });

  it('refuses bad listen options and a port in use (ERR_CONFIG_INVALID)', async () => {
    const { log } = capturingLogger();
    const base = {
      storage,
      access: createBootstrapAccess('t'),
      log,
      initialize: { keyPair: await getTestPgpKeyPair() },
    };
    const error = await expectRejection(
      createStoreServer({ ...base, listen: { host: '127.0.0.1', port: -1 } }),
      'ERR_CONFIG_INVALID',
    );
    expect(error.message).toBe('Expected `listen.port` to be an integer from 0 to 65535, got `-1` (number)');
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as AddressInfo).port;
      expect(
        (
          await expectRejection(
            createStoreServer({ ...base, listen: { host: '127.0.0.1', port } }),
            'ERR_CONFIG_INVALID',
          )
        ).message,
      ).toContain('EADDRINUSE');
    } finally {
      busy.close();
    }
  });
});
