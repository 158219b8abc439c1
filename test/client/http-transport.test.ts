// Both transports (undici, and the hand-written HTTP/1.1 one over node:net for `run`'s cold start,
// issue 13) run this one suite
// against real node:http / node:https servers on 127.0.0.1:0.
import { readFile, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpTransport, type HttpTransport } from '../../src/client/http-transport.js';
import { createSocketTransport } from '../../src/client/socket-transport.js';
import { startDcosStandIn } from './support/dcos-stand-in.js';
import { createTlsFiles, type TlsFiles } from './support/tls-files.js';
import { captureRejection } from '../helpers/rejection.js';

const transports: HttpTransport[] = [];
const servers: Server[] = [];

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const created of transports.splice(0)) await created.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

const implementations = [
  ['undici', createHttpTransport],
  ['socket', createSocketTransport],
] as const;

describe.each(implementations)('the %s transport', (_name, create) => {
  function transport(options: Parameters<typeof createHttpTransport>[0] = {}): HttpTransport {
    const created = create(options);
    transports.push(created);
    return created;
  }

  describe('over plain HTTP', () => {
    it('reuses keep-alive connections for sequential requests', async () => {
      const standIn = await startDcosStandIn((_request, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('pong');
      });
      try {
        const client = transport();
        for (let index = 0; index < 10; index += 1) {
          const response = await client.request({ method: 'GET', url: new URL(`${standIn.url}/secrets/v1/ping`) });
          expect(response.body.toString()).toBe('pong');
        }
        // undici may open a second socket while the first is being released; never one per request.
        expect(standIn.connections()).toBeLessThanOrEqual(2);
      } finally {
        await standIn.close();
      }
    });

    it('keeps to the connection limit under concurrency', async () => {
      const standIn = await startDcosStandIn((_request, res) => {
        res.writeHead(204);
        res.end();
      });
      try {
        const client = transport({ connections: 1 });
        await Promise.all(
          Array.from({ length: 6 }, () => client.request({ method: 'GET', url: new URL(`${standIn.url}/x`) })),
        );
        expect(standIn.connections()).toBe(1);
      } finally {
        await standIn.close();
      }
    });

    it('sends the path exactly as encoded', async () => {
      const standIn = await startDcosStandIn((_request, res) => {
        res.writeHead(204);
        res.end();
      });
      try {
        await transport().request({
          method: 'GET',
          url: new URL(`${standIn.url}/secrets/v1/secret/default/a%2Fb/c%20d?list=true`),
        });
        expect(standIn.requests[0]?.rawUrl).toBe('/secrets/v1/secret/default/a%2Fb/c%20d?list=true');
      } finally {
        await standIn.close();
      }
    });

    it('maps a refused connection to ERR_STORE_UNREACHABLE', async () => {
      const server = createHttpServer();
      const address = await listen(server);
      servers.pop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const error = await captureRejection(transport().request({ method: 'GET', url: new URL(`http://${address}/`) }));
      expect(error.code).toBe('ERR_STORE_UNREACHABLE');
      expect(error.details?.['networkCode']).toBe('ECONNREFUSED');
      expect(error.retryable).toBe(true);
    });

    it('maps an unresolvable host to ERR_STORE_UNREACHABLE', async () => {
      const error = await captureRejection(
        transport().request({ method: 'GET', url: new URL('http://no-such-host.invalid/') }),
      );
      expect(error.code).toBe('ERR_STORE_UNREACHABLE');
      expect(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL']).toContain(error.details?.['networkCode']);
    });

    it('maps a connection reset mid-request to ERR_STORE_UNREACHABLE', async () => {
      const server = createHttpServer((req) => req.socket.destroy());
      const address = await listen(server);
      const error = await captureRejection(transport().request({ method: 'GET', url: new URL(`http://${address}/`) }));
      expect(error.code).toBe('ERR_STORE_UNREACHABLE');
    });

    it('maps a server that never answers to ERR_TIMEOUT', async () => {
      const sockets: Socket[] = [];
      const server = createHttpServer((req) => sockets.push(req.socket));
      const address = await listen(server);
      const error = await captureRejection(
        transport({ timeoutMs: 200 }).request({ method: 'GET', url: new URL(`http://${address}/`) }),
      );
      expect(error.code).toBe('ERR_TIMEOUT');
      expect(error.message).toContain('200 ms');
    });

    it('cuts off a response larger than maxResponseBytes', async () => {
      const standIn = await startDcosStandIn((_request, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(Buffer.alloc(4096, 1));
      });
      try {
        const error = await captureRejection(
          transport({ maxResponseBytes: 1024 }).request({ method: 'GET', url: new URL(`${standIn.url}/big`) }),
        );
        expect(error.code).toBe('ERR_HTTP_UNEXPECTED');
        expect(error.message).toContain('larger than 1024 bytes');
      } finally {
        await standIn.close();
      }
    });

    it("rejects with the caller's abort reason", async () => {
      const server = createHttpServer(() => {});
      const address = await listen(server);
      const controller = new AbortController();
      const pending = transport().request({
        method: 'GET',
        url: new URL(`http://${address}/`),
        signal: controller.signal,
      });
      controller.abort(new Error('caller gave up'));
      await expect(pending).rejects.toThrow('caller gave up');
    });

    it('refuses requests after close(), which is safe twice', async () => {
      const client = create();
      await client.close();
      await client.close();
      expect(
        (await captureRejection(client.request({ method: 'GET', url: new URL('http://127.0.0.1:1/') }))).code,
      ).toBe('ERR_USAGE');
    });

    it('validates its options', () => {
      expect(() => create({ timeoutMs: -1 })).toThrow(
        'Expected `timeoutMs` to be a positive integer, got `-1` (number)',
      );
      expect(() => create({ connections: 0 })).toThrow(
        'Expected `connections` to be a positive integer, got `0` (number)',
      );
    });
  });

  describe('over TLS', () => {
    let tls: TlsFiles;
    let otherCa: TlsFiles;
    let url: URL;

    beforeAll(async () => {
      [tls, otherCa] = await Promise.all([createTlsFiles('transport'), createTlsFiles('other')]);
    });

    beforeAll(async () => {
      const server = createHttpsServer(
        { cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) },
        (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('secure');
        },
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      afterAll(async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      });
    });

    it('verifies the server against the given CA bundle', async () => {
      const response = await transport({ caFile: tls.caFile }).request({ method: 'GET', url });
      expect(response.body.toString()).toBe('secure');
    });

    it('refuses the server without its CA, with ERR_TLS_CONFIG naming the flag', async () => {
      const error = await captureRejection(transport().request({ method: 'GET', url }));
      expect(error.code).toBe('ERR_TLS_CONFIG');
      expect(error.message).toContain('--ca-file');
      expect(error.retryable).toBe(false);
    });

    it('refuses the server when the bundle holds a different CA', async () => {
      expect((await captureRejection(transport({ caFile: otherCa.caFile }).request({ method: 'GET', url }))).code).toBe(
        'ERR_TLS_CONFIG',
      );
    });

    it('is not switched off by NODE_TLS_REJECT_UNAUTHORIZED=0', async () => {
      const previous = process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
      process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
      try {
        expect((await captureRejection(transport().request({ method: 'GET', url }))).code).toBe('ERR_TLS_CONFIG');
      } finally {
        if (previous === undefined) delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
        else process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = previous;
      }
    });

    it('fails at creation on an unreadable or non-PEM CA file', async () => {
      expect(() => create({ caFile: join(tls.dir, 'missing.pem') })).toThrow(
        /CA file .*missing\.pem: cannot read \(ENOENT\)/,
      );
      const notPem = join(tls.dir, 'not-pem.txt');
      await writeFile(notPem, 'hello');
      expect(() => create({ caFile: notPem })).toThrow(/no PEM certificate/);
    });
  });

  describe('request building', () => {
    it('refuses a header value HTTP does not allow, without echoing it', async () => {
      const standIn = await startDcosStandIn((_request, res) => {
        res.writeHead(204);
        res.end();
      });
      try {
        const error = await captureRejection(
          transport().request({
            method: 'GET',
            url: new URL(`${standIn.url}/`),
            headers: { authorization: 'token=abc\r\nx-injected: 1' },
          }),
        );
        expect(error.code).toBe('ERR_INPUT_INVALID');
        expect(error.message).not.toContain('abc');
        expect(standIn.requests).toHaveLength(0);
      } finally {
        await standIn.close();
      }
    });
  });
});

describe('the undici modules the transport loads directly', () => {
  it('still exist where this undici release keeps them (else the transport falls back to the index)', async () => {
    const { createRequire } = await import('node:module');
    const load = createRequire(import.meta.url);
    const agent = load('undici/lib/dispatcher/agent.js') as unknown;
    const request = load('undici/lib/api/api-request.js') as unknown;
    expect(typeof agent).toBe('function');
    expect(typeof request).toBe('function');
    expect(agent).toBe((load('undici') as { Agent: unknown }).Agent);
  });
});
