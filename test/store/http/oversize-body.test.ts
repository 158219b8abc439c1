// Issue 12.1: a chunked body over the cap (login > 64 KiB, secret PUT/PATCH > 2 MiB) made the
// router call destroy() on a null socket: an uncaught TypeError that ended the store process.
// Against the real store in this process: an uncaught error here fails the run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startIamServer, type IamTestServer } from '../iam/support/iam-server.js';
import { exchangeRaw, requestHead } from '../support/raw-socket.js';

let server: IamTestServer;
let port: number;
let token: string;

beforeAll(async () => {
  server = await startIamServer();
  port = Number(new URL(server.url).port);
  await server.iam.createUser({ uid: 'admin', password: 'admin-password' });
  await server.iam.grant({ uid: 'admin', rid: 'dcos:superuser', action: 'full' }, { createAcl: true });
  token = await server.iam.issueToken('admin');
});

afterAll(async () => {
  await server.close();
});

const chunkedPost = (path: string, method: string, kib: number, auth = false) =>
  exchangeRaw(port, {
    steps: [
      requestHead(method, path, [
        'content-type: application/json',
        'transfer-encoding: chunked',
        ...(auth ? [`authorization: token=${token}`] : []),
      ]),
      { chunks: kib, chunkBytes: 1024 },
      '0\r\n\r\n',
    ],
  });

describe('issue 12.1: oversize chunked bodies', () => {
  it('a chunked login body over 64 KiB, five times: each gets 413 ERR_BODY_TOO_LARGE and a closed connection; the store still answers', async () => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const result = await chunkedPost('/acs/api/v1/auth/login', 'POST', 70);
      expect(result.status, result.response).toBe(413);
      expect(result.response).toContain('"code":"ERR_BODY_TOO_LARGE"');
      expect(result.response.toLowerCase()).toContain('connection: close');
    }
    const ping = await fetch(`${server.url}/secrets/v1/ping`);
    expect(ping.status).toBe(200);
  });

  it('a chunked secret PUT and PATCH over 2 MiB: 413, and nothing is written', async () => {
    for (const method of ['PUT', 'PATCH']) {
      const result = await chunkedPost('/secrets/v1/secret/default/big/one', method, 2 * 1024 + 8, true);
      expect(result.status, result.response).toBe(413);
    }
    expect(await server.secrets.get('big/one')).toBeUndefined();
    const ping = await fetch(`${server.url}/secrets/v1/ping`);
    expect(ping.status).toBe(200);
  });
});
