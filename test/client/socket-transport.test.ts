// The hand-written HTTP/1.1 transport for `run`'s cold start (issue 13), beyond the contract both
// transports share (http-transport.test.ts): against raw node:net servers on 127.0.0.1:0 that write
// exact bytes, so the cases node:http would never produce (a close-delimited body, a malformed
// head, a kept-alive connection closed under a request) can be staged; and the request bytes.
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpRequest, HttpTransport, HttpTransportOptions } from '../../src/client/http-transport.js';
import { createSocketTransport, serializeRequest } from '../../src/client/socket-transport.js';
import { canaryValue } from '../helpers/canary.js';
import { captureRejection } from '../helpers/rejection.js';

const execFileAsync = promisify(execFile);

interface RawRequest {
  readonly method: string;
  readonly target: string;
  /** The request head as received, up to its blank line. */
  readonly head: string;
  readonly body: Buffer;
  /** 1 for the server's first connection, 2 for its second... */
  readonly connection: number;
  /** 0 for the first request on its connection. */
  readonly indexOnConnection: number;
}

interface RawServer {
  readonly url: string;
  readonly requests: RawRequest[];
  /** Connections accepted so far. */
  connections(): number;
  /** Resolves once the server's side of connection `number` (1-based) has closed. */
  closed(number: number): Promise<void>;
}

type Answer = (socket: Socket, request: RawRequest) => void;

const servers: Server[] = [];
const serverSockets: Socket[] = [];
const transports: HttpTransport[] = [];

afterEach(async () => {
  for (const created of transports.splice(0)) await created.destroy();
  for (const socket of serverSockets.splice(0)) socket.destroy();
  for (const server of servers.splice(0)) await new Promise<void>((resolve) => server.close(() => resolve()));
});

function transport(options: HttpTransportOptions = {}): HttpTransport {
  const created = createSocketTransport(options);
  transports.push(created);
  return created;
}

// A server that parses each request (head, and a body by Content-Length) and hands it to `answer`
// with the socket, which writes whatever bytes the test needs.
async function startRawServer(answer: Answer): Promise<RawServer> {
  const requests: RawRequest[] = [];
  const closings: Array<Promise<void>> = [];
  const server = createServer((socket) => {
    serverSockets.push(socket);
    const connection = closings.length + 1;
    closings.push(new Promise<void>((resolve) => socket.on('close', () => resolve())));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    let indexOnConnection = 0;
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = pending.toString('latin1', 0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < end + 4 + length) return;
        const [method = '', target = ''] = head.split(' ', 2);
        const request = {
          method,
          target,
          head,
          body: pending.subarray(end + 4, end + 4 + length),
          connection,
          indexOnConnection,
        };
        pending = pending.subarray(end + 4 + length);
        indexOnConnection += 1;
        requests.push(request);
        answer(socket, request);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    connections: () => closings.length,
    closed: (number) => closings[number - 1] ?? Promise.reject(new Error(`no connection ${number}`)),
  };
}

function okResponse(body: string, extraHeaders = ''): string {
  return `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extraHeaders}\r\n`;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('createSocketTransport against raw servers', () => {
  describe('response framing', () => {
    it('decodes a chunked response written in pieces, and reuses the connection after it', async () => {
      const server = await startRawServer((socket, request) => {
        if (request.indexOnConnection > 0) {
          socket.write(okResponse('second') + 'second');
          return;
        }
        // Pieces that end inside a size line and inside a CRLF, with a pause between them.
        const pieces = [
          'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: text/plain\r\n\r\n4;ext=1\r\nWi',
          'ki\r',
          '\n5\r\npedia\r\n',
          '0\r\nx-trailer: t\r\n\r\n',
        ];
        void (async () => {
          for (const piece of pieces) {
            socket.write(piece);
            await delay(5);
          }
        })();
      });
      const client = transport();
      const first = await client.request({ method: 'GET', url: new URL(`${server.url}/a`) });
      expect(first.status).toBe(200);
      expect(first.body.toString()).toBe('Wikipedia');
      expect(first.headers['content-type']).toBe('text/plain');
      // The chunked framing was read exactly to its end, so the connection carries the next request.
      const second = await client.request({ method: 'GET', url: new URL(`${server.url}/b`) });
      expect(second.body.toString()).toBe('second');
      expect(server.connections()).toBe(1);
    });

    it('reads a response without a length to the end of the connection, then opens a new one', async () => {
      const server = await startRawServer((socket) => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\npart one, ');
        setTimeout(() => socket.end('part two'), 20);
      });
      const client = transport();
      const response = await client.request({ method: 'GET', url: new URL(`${server.url}/`) });
      expect(response.body.toString()).toBe('part one, part two');
      expect((await client.request({ method: 'GET', url: new URL(`${server.url}/`) })).body.toString()).toBe(
        'part one, part two',
      );
      expect(server.connections()).toBe(2);
    });

    it('maps a malformed response to ERR_HTTP_UNEXPECTED without quoting it, and drops the connection', async () => {
      const server = await startRawServer((socket, request) => {
        if (request.connection === 1) socket.write(`HTTP/1.1 200 OK\r\nx-token ${canaryValue}\r\n\r\n${canaryValue}`);
        else socket.write(okResponse('fine') + 'fine');
      });
      const client = transport();
      const error = await captureRejection(client.request({ method: 'GET', url: new URL(`${server.url}/s`) }));
      expect(error.code).toBe('ERR_HTTP_UNEXPECTED');
      expect(error.message).toBe(`GET ${server.url}/s: malformed HTTP response (malformed header field)`);
      expect(error.message).not.toContain('canary');
      expect(error.retryable).toBe(false);
      // The connection is out of step: the next request goes on a new one.
      expect((await client.request({ method: 'GET', url: new URL(`${server.url}/s`) })).body.toString()).toBe('fine');
      expect(server.connections()).toBe(2);
    });
  });

  describe('connection reuse', () => {
    it('opens a new connection after an answer with `connection: close`, even if the server keeps it open', async () => {
      const server = await startRawServer((socket) => {
        // The server does not close it: only the field tells the client not to reuse it.
        socket.write(okResponse('bye', 'connection: close\r\n') + 'bye');
      });
      const client = transport();
      for (let index = 0; index < 2; index += 1)
        expect((await client.request({ method: 'GET', url: new URL(`${server.url}/`) })).body.toString()).toBe('bye');
      expect(server.requests.map((request) => [request.connection, request.indexOnConnection])).toEqual([
        [1, 0],
        [2, 0],
      ]);
    });

    it('drops an idle connection on which bytes arrive unasked', async () => {
      const server = await startRawServer((socket) => {
        socket.write(okResponse('ok') + 'ok');
        setTimeout(() => socket.write('HTTP/1.1 200 OK\r\n'), 20);
      });
      const client = transport();
      await client.request({ method: 'GET', url: new URL(`${server.url}/`) });
      // The client destroys its side on the stray bytes, which the server sees as the close.
      await server.closed(1);
      await client.request({ method: 'GET', url: new URL(`${server.url}/`) });
      expect(server.requests.map((request) => request.connection)).toEqual([1, 2]);
    });
  });

  describe('a kept-alive connection the server closed under a request', () => {
    // The server answers the first request on a connection and closes the connection, unanswered,
    // when a second one arrives on it: the race of a server closing an idle connection just as the
    // client sends on it, made deterministic.
    const firstOnly: Answer = (socket, request) => {
      if (request.indexOnConnection === 0)
        socket.write(okResponse(`conn ${request.connection}`) + `conn ${request.connection}`);
      else socket.destroy();
    };

    it('retries a GET once on a new connection', async () => {
      const server = await startRawServer(firstOnly);
      const client = transport();
      expect((await client.request({ method: 'GET', url: new URL(`${server.url}/a`) })).body.toString()).toBe('conn 1');
      const second = await client.request({ method: 'GET', url: new URL(`${server.url}/b`) });
      expect(second.body.toString()).toBe('conn 2');
      expect(server.requests.map((request) => `${request.method} ${request.target} #${request.connection}`)).toEqual([
        'GET /a #1',
        'GET /b #1',
        'GET /b #2',
      ]);
    });

    it('retries a GET even at a limit of one connection (the retry waits for the dead one to close)', async () => {
      const server = await startRawServer(firstOnly);
      const client = transport({ connections: 1, timeoutMs: 5000 });
      await client.request({ method: 'GET', url: new URL(`${server.url}/a`) });
      expect((await client.request({ method: 'GET', url: new URL(`${server.url}/b`) })).body.toString()).toBe('conn 2');
    });

    it('does not retry a POST: it may have been acted on', async () => {
      const server = await startRawServer(firstOnly);
      const client = transport();
      await client.request({ method: 'GET', url: new URL(`${server.url}/warm`) });
      const error = await captureRejection(
        client.request({ method: 'POST', url: new URL(`${server.url}/create`), body: '{"a":1}' }),
      );
      expect(error.code).toBe('ERR_STORE_UNREACHABLE');
      expect(server.requests.filter((request) => request.method === 'POST')).toHaveLength(1);
      expect(server.requests.find((request) => request.method === 'POST')?.body.toString()).toBe('{"a":1}');
      expect(server.connections()).toBe(1);
    });

    it('retries only once: a GET that also fails on the new connection is rejected', async () => {
      let answered = 0;
      const server = await startRawServer((socket) => {
        answered += 1;
        if (answered === 1) socket.write(okResponse('first') + 'first');
        else socket.destroy();
      });
      const client = transport();
      await client.request({ method: 'GET', url: new URL(`${server.url}/a`) });
      const error = await captureRejection(client.request({ method: 'GET', url: new URL(`${server.url}/b`) }));
      expect(error.code).toBe('ERR_STORE_UNREACHABLE');
      expect(server.requests.map((request) => `${request.target} #${request.connection}`)).toEqual([
        '/a #1',
        '/b #1',
        '/b #2',
      ]);
    });

    it('does not retry a GET whose answer had begun: the server did see it', async () => {
      const server = await startRawServer((socket, request) => {
        if (request.indexOnConnection === 0) socket.write(okResponse('first') + 'first');
        else socket.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nab');
      });
      const client = transport();
      await client.request({ method: 'GET', url: new URL(`${server.url}/a`) });
      const error = await captureRejection(client.request({ method: 'GET', url: new URL(`${server.url}/b`) }));
      expect(error.code).toBe('ERR_STORE_UNREACHABLE');
      expect(server.requests).toHaveLength(2);
    });
  });

  describe('requests HTTP forbids', () => {
    it('refuses a header name that is not a token with ERR_INPUT_INVALID, sending nothing', async () => {
      const server = await startRawServer(() => {});
      const error = await captureRejection(
        transport().request({ method: 'GET', url: new URL(`${server.url}/`), headers: { 'x bad': 'v' } }),
      );
      expect(error.code).toBe('ERR_INPUT_INVALID');
      expect(error.details?.['networkCode']).toBe('ERR_INVALID_HTTP_TOKEN');
      await delay(20);
      expect(server.connections()).toBe(0);
    });

    // Node's ERR_UNESCAPED_CHARACTERS must map like undici's UND_ERR_INVALID_ARG: not retryable.
    it('refuses a path with a space with ERR_INPUT_INVALID, sending nothing', async () => {
      const server = await startRawServer(() => {});
      const error = await captureRejection(transport().request({ method: 'GET', url: spacedUrl(`${server.url}/x`) }));
      expect(server.connections()).toBe(0);
      expect(error.code).toBe('ERR_INPUT_INVALID');
      expect(error.retryable).toBe(false);
    });

    it('refuses a path with a space without connecting (whatever the code)', async () => {
      const server = await startRawServer(() => {});
      const error = await captureRejection(transport().request({ method: 'GET', url: spacedUrl(`${server.url}/x`) }));
      expect(error.message).toContain('ERR_UNESCAPED_CHARACTERS');
      await delay(20);
      expect(server.connections()).toBe(0);
    });
  });

  describe('idle connections', () => {
    // A `run` process makes its requests and execs or exits; a kept-alive socket must not hold it.
    // In a child process of its own, against a server here that never closes the connection.
    it('do not keep the process alive', async () => {
      const server = await startRawServer((socket) => socket.write(okResponse('alive') + 'alive'));
      const tsxLoader = fileURLToPath(new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url));
      const transportModule = fileURLToPath(new URL('../../src/client/socket-transport.ts', import.meta.url));
      const script = `import { createSocketTransport } from ${JSON.stringify(transportModule)};
const transport = createSocketTransport({ keepAliveTimeoutMs: 120000 });
await transport.request({ method: 'GET', url: new URL(process.env.TARGET_URL) });
const response = await transport.request({ method: 'GET', url: new URL(process.env.TARGET_URL) });
console.log(JSON.stringify({ status: response.status, body: response.body.toString() }));`;
      const startedMs = Date.now();
      // Without unref the child would wait for the keep-alive timeout (2 minutes) and be killed at 20 s.
      const { stdout } = await execFileAsync(
        process.execPath,
        ['--import', tsxLoader, '--input-type=module', '-e', script],
        { env: { PATH: process.env['PATH'] ?? '', TARGET_URL: `${server.url}/` }, timeout: 20_000 },
      );
      expect(JSON.parse(stdout.trim())).toEqual({ status: 200, body: 'alive' });
      expect(Date.now() - startedMs).toBeLessThan(20_000);
      // Both requests went on one kept-alive connection, so an idle one existed when the child ended.
      expect(server.requests.map((request) => request.connection)).toEqual([1, 1]);
      expect(server.connections()).toBe(1);
    });
  });
});

// A URL whose path holds a space: the URL class always escapes one, a hand-built or subclassed
// URL-like value need not.
function spacedUrl(base: string): URL {
  const url = new URL(base);
  Object.defineProperty(url, 'pathname', { value: '/a b' });
  return url;
}

describe('serializeRequest', () => {
  const request = (fields: Partial<HttpRequest>): HttpRequest => ({
    method: 'GET',
    url: new URL('http://127.0.0.1:8080/secrets/v1/secret/default/a%2Fb?list=true'),
    ...fields,
  });

  it('writes the target as encoded and `host` with the port', () => {
    expect(serializeRequest(request({ headers: { accept: 'application/json' } })).toString('latin1')).toBe(
      'GET /secrets/v1/secret/default/a%2Fb?list=true HTTP/1.1\r\nhost: 127.0.0.1:8080\r\naccept: application/json\r\n\r\n',
    );
  });

  it('writes an IPv6 host in brackets, and no port when the URL has the default one', () => {
    expect(serializeRequest(request({ url: new URL('http://[::1]:9000/') })).toString('latin1')).toContain(
      '\r\nhost: [::1]:9000\r\n',
    );
    expect(serializeRequest(request({ url: new URL('https://store.example:443/') })).toString('latin1')).toContain(
      '\r\nhost: store.example\r\n',
    );
  });

  it('adds `content-length: 0` to a POST without a body, and no length to a GET', () => {
    const url = new URL('http://h:1/x');
    expect(serializeRequest(request({ method: 'POST', url })).toString('latin1')).toBe(
      'POST /x HTTP/1.1\r\nhost: h:1\r\ncontent-length: 0\r\n\r\n',
    );
    expect(serializeRequest(request({ method: 'GET', url })).toString('latin1')).toBe(
      'GET /x HTTP/1.1\r\nhost: h:1\r\n\r\n',
    );
  });

  it("drops a caller's own host, content-length, connection and transfer-encoding, whatever their case", () => {
    const bytes = serializeRequest({
      method: 'PUT',
      url: new URL('http://h:1/x'),
      headers: {
        Host: 'evil.example',
        'Content-Length': '99',
        connection: 'upgrade',
        'Transfer-Encoding': 'chunked',
        'x-kept': 'yes',
      },
      body: Buffer.from('héllo'),
    });
    expect(bytes.toString('latin1')).toBe(
      'PUT /x HTTP/1.1\r\nhost: h:1\r\nx-kept: yes\r\ncontent-length: 6\r\n\r\nh\xc3\xa9llo',
    );
  });

  it('sends a string body as UTF-8 with its byte length', () => {
    const bytes = serializeRequest(request({ method: 'POST', url: new URL('http://h:1/x'), body: '{"v":"é"}' }));
    expect(bytes.toString('utf8')).toBe('POST /x HTTP/1.1\r\nhost: h:1\r\ncontent-length: 10\r\n\r\n{"v":"é"}');
  });

  it('refuses a path with a space (ERR_UNESCAPED_CHARACTERS)', () => {
    expect(() => serializeRequest(request({ url: spacedUrl('http://h:1/') }))).toThrow(
      expect.objectContaining({ code: 'ERR_UNESCAPED_CHARACTERS' }),
    );
  });

  it.each(['x bad', 'x:y', 'x\r\ny', ''])('refuses the header name %j (ERR_INVALID_HTTP_TOKEN)', (name) => {
    expect(() => serializeRequest(request({ headers: { [name]: 'v' } }))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_HTTP_TOKEN' }),
    );
  });

  it('refuses a header value with CR or LF, without quoting it (ERR_INVALID_CHAR)', () => {
    let thrown: unknown;
    try {
      serializeRequest(request({ headers: { authorization: `token=${canaryValue}\r\nx-injected: 1` } }));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'ERR_INVALID_CHAR' });
    expect((thrown as Error).message).not.toContain('canary');
  });
});
