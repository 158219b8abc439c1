import { createServer, get, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsAgentError } from '../../../src/core/errors.js';
import {
  sendBytes,
  sendEmpty,
  sendError,
  sendJson,
  sendJsonPayload,
  revealSecretsIndex,
  setSecretsIndex,
} from '../../../src/store/http/respond.js';
import { rawRequest } from '../support/store-server.js';

// The answers as they go on the wire: X-Secrets-Index (when set) first and once, content headers
// set by the sender once (a caller's own content-type/content-length lose, as they did in a spread),
// and headers set with setHeader() before the answer kept.
const senders: Record<string, (res: ServerResponse) => void> = {
  '/json': (res) =>
    sendJson(
      res,
      200,
      { ok: true },
      { 'cache-control': 'no-store', 'content-type': 'text/plain', 'content-length': '1' },
    ),
  '/payload': (res) => sendJsonPayload(res, 200, Buffer.from('{"a":1}'), { 'cache-control': 'no-store' }),
  '/bytes': (res) => sendBytes(res, 200, Buffer.from([1, 2, 3]), 'application/octet-stream'),
  '/empty': (res) => sendEmpty(res, 204),
  '/unauthorized': (res) => sendError(res, new SecretsAgentError('ERR_AUTH_REQUIRED', 'authentication required')),
  '/after-set-header': (res) => {
    res.setHeader('connection', 'close');
    sendError(res, new SecretsAgentError('ERR_BODY_TOO_LARGE', 'request body exceeds 1 bytes'));
  },
};

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const [path = '', query] = (req.url ?? '').split('?');
    if (query === 'indexed' || query === 'anonymous') setSecretsIndex(res, 'abcdef0123456789.42');
    if (query === 'indexed') revealSecretsIndex(res);
    (senders[path] ?? ((r: ServerResponse) => sendEmpty(r, 404)))(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

// Header names in wire order, lower-cased, less the ones Node adds itself (date, keep-alive).
function headerNames(path: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    get(`${url}${path}`, (res) => {
      res.resume();
      const names = res.rawHeaders.filter((_, index) => index % 2 === 0).map((name) => name.toLowerCase());
      resolve(names.filter((name) => !['date', 'connection', 'keep-alive'].includes(name)));
    }).on('error', reject);
  });
}

describe('respond: headers on the wire', () => {
  it.each([
    ['/json', ['cache-control', 'content-type', 'content-length']],
    ['/payload', ['cache-control', 'content-type', 'content-length']],
    ['/bytes', ['content-type', 'content-length']],
    ['/empty', []],
    ['/unauthorized', ['www-authenticate', 'content-type', 'content-length']],
  ])('%s: index first when set, every header once', async (path, names) => {
    expect(await headerNames(path)).toEqual(names);
    expect(await headerNames(`${path}?indexed`)).toEqual(['x-secrets-index', ...names]);
    // Issue 12.8: held for a caller that never authenticated, never sent.
    expect(await headerNames(`${path}?anonymous`)).toEqual(names);
  });

  it('the sender’s content headers win over a caller’s', async () => {
    const response = await rawRequest(url, { path: '/json?indexed' });
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.json).toEqual({ ok: true });
    expect(response.headers['x-secrets-index']).toBe('abcdef0123456789.42');
  });

  it('keeps a header set with setHeader() before the answer, next to the index', async () => {
    const response = await rawRequest(url, { path: '/after-set-header?indexed' });
    expect(response.status).toBe(413);
    expect(response.headers['connection']).toBe('close');
    expect(response.headers['x-secrets-index']).toBe('abcdef0123456789.42');
    expect(response.json).toMatchObject({ code: 'ERR_BODY_TOO_LARGE' });
  });
});
