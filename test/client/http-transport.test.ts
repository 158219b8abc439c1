// The transport against real node:http / node:https servers and raw TCP servers on 127.0.0.1:0.
import { readFile, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpTransport, type HttpTransport } from '../../src/client/http-transport.js';
import { isSecretsAgentError, type SecretsAgentError } from '../../src/core/errors.js';
import { startDcosStandIn } from './support/dcos-stand-in.js';
import { createTlsFiles, type TlsFiles } from './support/tls-files.js';

const transports: HttpTransport[] = [];
const servers: Server[] = [];
const rawServers: Array<{ server: TcpServer; sockets: Set<Socket> }> = [];

function transport(options: Parameters<typeof createHttpTransport>[0] = {}): HttpTransport {
  const created = createHttpTransport(options);
  transports.push(created);
  return created;
}

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failure(promise: Promise<unknown>): Promise<SecretsAgentError> {
  try {
    await promise;
  } catch (error) {
    if (isSecretsAgentError(error)) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

afterEach(async () => {
  for (const created of transports.splice(0)) await created.close();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  for (const { server, sockets } of rawServers.splice(0)) {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

describe('createHttpTransport over plain HTTP', () => {
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
      expect(standIn.connections()).toBe(1);
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
      await Promise.all(Array.from({ length: 6 }, () => client.request({ method: 'GET', url: new URL(`${standIn.url}/x`) })));
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
      await transport().request({ method: 'GET', url: new URL(`${standIn.url}/secrets/v1/secret/default/a%2Fb/c%20d?list=true`) });
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
    const error = await failure(transport().request({ method: 'GET', url: new URL(`http://${address}/`) }));
    expect(error.code).toBe('ERR_STORE_UNREACHABLE');
    expect(error.details?.['networkCode']).toBe('ECONNREFUSED');
    expect(error.retryable).toBe(true);
  });

  it('maps an unresolvable host to ERR_STORE_UNREACHABLE', async () => {
    const error = await failure(transport().request({ method: 'GET', url: new URL('http://no-such-host.invalid/') }));
    expect(error.code).toBe('ERR_STORE_UNREACHABLE');
    expect(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL']).toContain(error.details?.['networkCode']);
  });

  it('maps a connection reset mid-request to ERR_STORE_UNREACHABLE', async () => {
    const server = createHttpServer((req) => req.socket.destroy());
    const address = await listen(server);
    const error = await failure(transport().request({ method: 'GET', url: new URL(`http://${address}/`) }));
    expect(error.code).toBe('ERR_STORE_UNREACHABLE');
  });

  it('maps a server that never answers to ERR_TIMEOUT', async () => {
    const sockets: Socket[] = [];
    const server = createHttpServer((req) => sockets.push(req.socket));
    const address = await listen(server);
    const error = await failure(transport({ timeoutMs: 200 }).request({ method: 'GET', url: new URL(`http://${address}/`) }));
    expect(error.code).toBe('ERR_TIMEOUT');
    expect(error.message).toContain('200 ms');
  });

  it('cuts off a response larger than maxResponseBytes', async () => {
    const standIn = await startDcosStandIn((_request, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(Buffer.alloc(4096, 1));
    });
    try {
      const error = await failure(transport({ maxResponseBytes: 1024 }).request({ method: 'GET', url: new URL(`${standIn.url}/big`) }));
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
    const pending = transport().request({ method: 'GET', url: new URL(`http://${address}/`), signal: controller.signal });
    controller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
  });

  it('refuses requests after close(), which is safe twice', async () => {
    const client = createHttpTransport();
    await client.close();
    await client.close();
    expect((await failure(client.request({ method: 'GET', url: new URL('http://127.0.0.1:1/') }))).code).toBe('ERR_USAGE');
  });

  it('validates its options', () => {
    expect(() => createHttpTransport({ timeoutMs: -1 })).toThrow('Expected `timeoutMs` to be a positive integer, got `-1` (number)');
    expect(() => createHttpTransport({ connections: 0 })).toThrow('Expected `connections` to be a positive integer, got `0` (number)');
  });
});

describe('createHttpTransport over TLS', () => {
  let tls: TlsFiles;
  let otherCa: TlsFiles;
  let url: URL;

  beforeAll(async () => {
    [tls, otherCa] = await Promise.all([createTlsFiles('transport'), createTlsFiles('other')]);
  });

  beforeAll(async () => {
    const server = createHttpsServer({ cert: await readFile(tls.certFile), key: await readFile(tls.keyFile) }, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('secure');
    });
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
    const error = await failure(transport().request({ method: 'GET', url }));
    expect(error.code).toBe('ERR_TLS_CONFIG');
    expect(error.message).toContain('--ca-file');
    expect(error.retryable).toBe(false);
  });

  it('refuses the server when the bundle holds a different CA', async () => {
    expect((await failure(transport({ caFile: otherCa.caFile }).request({ method: 'GET', url }))).code).toBe('ERR_TLS_CONFIG');
  });

  it('is not switched off by NODE_TLS_REJECT_UNAUTHORIZED=0', async () => {
    const previous = process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
    process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
    try {
      expect((await failure(transport().request({ method: 'GET', url }))).code).toBe('ERR_TLS_CONFIG');
    } finally {
      if (previous === undefined) delete process.env['NODE_TLS_REJECT_UNAUTHORIZED'];
      else process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = previous;
    }
  });

  it('fails at creation on an unreadable or non-PEM CA file', async () => {
    expect(() => createHttpTransport({ caFile: join(tls.dir, 'missing.pem') })).toThrow(/CA file .*missing\.pem: cannot read \(ENOENT\)/);
    const notPem = join(tls.dir, 'not-pem.txt');
    await writeFile(notPem, 'hello');
    expect(() => createHttpTransport({ caFile: notPem })).toThrow(/no PEM certificate/);
  });
});

describe('createHttpTransport request building', () => {
  it('refuses a header value HTTP does not allow, without echoing it', async () => {
    const standIn = await startDcosStandIn((_request, res) => {
      res.writeHead(204);
      res.end();
    });
    try {
      const error = await failure(transport().request({ method: 'GET', url: new URL(`${standIn.url}/`), headers: { authorization: 'token=abc\r\nx-injected: 1' } }));
      expect(error.code).toBe('ERR_INPUT_INVALID');
      expect(error.message).not.toContain('abc');
      expect(standIn.requests).toHaveLength(0);
    } finally {
      await standIn.close();
    }
  });
});

// A raw TCP server: `answer` gets each request head (requests here have no body) and its socket.
async function rawServer(answer: (head: string, socket: Socket, index: { onSocket: number; overall: number }) => void): Promise<{ address: string; connections: () => number; server: TcpServer }> {
  let connections = 0;
  let overall = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    connections += 1;
    sockets.add(socket);
    let onSocket = 0;
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end !== -1; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        answer(head, socket, { onSocket: onSocket++, overall: overall++ });
      }
    });
    socket.on('error', () => undefined);
  });
  rawServers.push({ server, sockets });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections, server };
}

describe('createHttpTransport framing and connection reuse', () => {
  it('reads chunked answers (node:http without Content-Length)', async () => {
    const standIn = await startDcosStandIn((_request, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"value":');
      res.end('"chunked"}');
    });
    try {
      const client = transport();
      for (let index = 0; index < 3; index += 1) {
        const response = await client.request({ method: 'GET', url: new URL(`${standIn.url}/x`) });
        expect(response.headers['transfer-encoding']).toBe('chunked');
        expect(response.body.toString()).toBe('{"value":"chunked"}');
      }
      expect(standIn.connections()).toBe(1);
    } finally {
      await standIn.close();
    }
  });

  it('sends the request as node:http would: host, content-length for bodies, headers as given', async () => {
    const standIn = await startDcosStandIn((_request, res) => {
      res.writeHead(204);
      res.end();
    });
    try {
      const client = transport();
      await client.request({ method: 'PUT', url: new URL(`${standIn.url}/a`), headers: { 'content-type': 'application/json' }, body: '{"value":"ü"}' });
      await client.request({ method: 'PUT', url: new URL(`${standIn.url}/b`) });
      await client.request({ method: 'DELETE', url: new URL(`${standIn.url}/c`) });
      const [put, empty, remove] = standIn.requests;
      expect(put).toMatchObject({ method: 'PUT', rawUrl: '/a', headers: { host: new URL(standIn.url).host, 'content-type': 'application/json', 'content-length': '14' } });
      expect(put?.body.toString()).toBe('{"value":"ü"}');
      expect(empty?.headers['content-length']).toBe('0');
      expect(remove?.headers['content-length']).toBeUndefined();
      expect(remove?.headers['transfer-encoding']).toBeUndefined();
    } finally {
      await standIn.close();
    }
  });

  it('sends a GET once more on a new socket when the server closed the kept-alive one as it was sent', async () => {
    // The second request on every socket is met with a close: the keep-alive race, every time.
    const raw = await rawServer((_head, socket, { onSocket }) => {
      if (onSocket === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      else socket.destroy();
    });
    const client = transport();
    expect((await client.request({ method: 'GET', url: new URL(`http://${raw.address}/1`) })).body.toString()).toBe('ok');
    expect((await client.request({ method: 'GET', url: new URL(`http://${raw.address}/2`) })).body.toString()).toBe('ok');
    expect(raw.connections()).toBe(2);
    // A POST might have been acted on: it is not sent again.
    const error = await failure(client.request({ method: 'POST', url: new URL(`http://${raw.address}/3`), body: '{}' }));
    expect(error.code).toBe('ERR_STORE_UNREACHABLE');
  });

  it('opens a new connection after `Connection: close`, an HTTP/1.0 answer, or bytes nobody asked for', async () => {
    const raw = await rawServer((_head, socket, { overall }) => {
      if (overall === 0) socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\na');
      else if (overall === 1) socket.write('HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nb');
      else if (overall === 2) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\ncHTTP/1.1 200 OK\r\n');
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nd');
    });
    const client = transport();
    const bodies: string[] = [];
    for (let index = 0; index < 4; index += 1) bodies.push((await client.request({ method: 'GET', url: new URL(`http://${raw.address}/${index}`) })).body.toString());
    expect(bodies).toEqual(['a', 'b', 'c', 'd']);
    expect(raw.connections()).toBe(4);
  });

  it('closes a connection idle for keepAliveTimeoutMs, also after a request quieter than that', async () => {
    const standIn = await startDcosStandIn((request, res) => {
      setTimeout(() => {
        res.writeHead(204);
        res.end();
      }, request.rawUrl === '/slow' ? 250 : 0);
    });
    try {
      const client = transport({ keepAliveTimeoutMs: 100 });
      await client.request({ method: 'GET', url: new URL(`${standIn.url}/slow`) });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await client.request({ method: 'GET', url: new URL(`${standIn.url}/fast`) });
      await new Promise((resolve) => setTimeout(resolve, 300));
      await client.request({ method: 'GET', url: new URL(`${standIn.url}/fast`) });
      expect(standIn.connections()).toBe(3);
    } finally {
      await standIn.close();
    }
  });

  it('maps a malformed answer to ERR_STORE_UNREACHABLE naming the parser', async () => {
    const raw = await rawServer((_head, socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'));
    const error = await failure(transport().request({ method: 'GET', url: new URL(`http://${raw.address}/`) }));
    expect(error.code).toBe('ERR_STORE_UNREACHABLE');
    expect(error.details?.['networkCode']).toBe('HPE_INVALID');
  });

  it('destroy() ends requests in flight at once', async () => {
    const raw = await rawServer(() => undefined);
    const client = createHttpTransport();
    const pending = failure(client.request({ method: 'GET', url: new URL(`http://${raw.address}/hang`) }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await client.destroy();
    expect((await pending).code).toBe('ERR_STORE_UNREACHABLE');
  });
});

describe('createHttpTransport pipelining (GETs that ask for it)', () => {
  const answer = (socket: Socket, body: string, extra = ''): void => {
    socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`);
  };

  it('sends pipelined GETs back to back on a kept-alive connection and matches answers in order', async () => {
    const heads: string[] = [];
    // Answers nothing until three requests are in: only pipelining gets them here on one socket.
    const raw = await rawServer((head, socket, { onSocket }) => {
      if (onSocket === 0) {
        answer(socket, 'warm');
        return;
      }
      heads.push(head.split(' ')[1] ?? '');
      if (heads.length === 3) for (const path of heads) answer(socket, path);
    });
    const client = transport({ connections: 1 });
    await client.request({ method: 'GET', url: new URL(`http://${raw.address}/warm`), pipeline: true });
    const bodies = await Promise.all(['/a', '/b', '/c'].map(async (path) => (await client.request({ method: 'GET', url: new URL(`http://${raw.address}${path}`), pipeline: true })).body.toString()));
    expect(bodies).toEqual(['/a', '/b', '/c']);
    expect(raw.connections()).toBe(1);
  });

  it('never pipelines behind a request that did not ask for it (a long poll)', async () => {
    const order: string[] = [];
    const raw = await rawServer((head, socket, { onSocket }) => {
      const path = head.split(' ')[1] ?? '';
      order.push(path);
      if (onSocket === 0) answer(socket, 'warm');
      else if (path === '/poll') setTimeout(() => answer(socket, 'poll'), 100);
      else answer(socket, path);
    });
    const client = transport({ connections: 1 });
    await client.request({ method: 'GET', url: new URL(`http://${raw.address}/warm`) });
    const poll = client.request({ method: 'GET', url: new URL(`http://${raw.address}/poll`) });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const read = client.request({ method: 'GET', url: new URL(`http://${raw.address}/read`), pipeline: true });
    await new Promise((resolve) => setTimeout(resolve, 40));
    // The read waits for the poll's answer instead of queueing behind it on the wire.
    expect(order).toEqual(['/warm', '/poll']);
    expect((await poll).body.toString()).toBe('poll');
    expect((await read).body.toString()).toBe('/read');
  });

  it('sends again, on a new connection, the pipelined GETs a server closing early left unanswered', async () => {
    const raw = await rawServer((head, socket, { onSocket }) => {
      const path = head.split(' ')[1] ?? '';
      if (onSocket === 0) answer(socket, path);
      // The second answer on each connection says close; requests already sent behind it are dropped.
      else if (onSocket === 1) answer(socket, path, 'Connection: close\r\n');
    });
    const client = transport({ connections: 1 });
    const paths = ['/1', '/2', '/3', '/4', '/5', '/6'];
    const bodies = await Promise.all(paths.map(async (path) => (await client.request({ method: 'GET', url: new URL(`http://${raw.address}${path}`), pipeline: true })).body.toString()));
    expect(bodies).toEqual(paths);
    expect(raw.connections()).toBeGreaterThan(1);
  });
});
