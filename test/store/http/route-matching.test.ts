import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBootstrapAccess } from '../../../src/store/http/bootstrap-access.js';
import { sendJson } from '../../../src/store/http/respond.js';
import { createRouter, type Route, type RouteContext } from '../../../src/store/http/router.js';
import { createTestLogger } from '../../helpers/log-capture.js';
import { rawRequest } from '../support/store-server.js';

// Route matching over real HTTP: `:x` takes one non-empty segment, a trailing `*rest` the raw
// remainder; the first route in order whose path matches wins; a path matched only with another
// method is 405, an unmatched one 404.
const answer =
  (name: string) =>
  async (context: RouteContext): Promise<void> => {
    sendJson(context.res, 200, { route: name, params: context.params, query: context.url.search });
  };
const routes: Route[] = [
  { method: 'GET', pattern: '/a/:x/*rest', handler: answer('a-rest') },
  { method: 'GET', pattern: '/a/fixed', handler: answer('a-fixed') },
  { method: 'PUT', pattern: '/a/:x/*rest', handler: answer('a-put') },
  { method: 'GET', pattern: '/b/:x', handler: answer('b') },
  { method: 'GET', pattern: '/c/*all', handler: answer('c') },
];

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer(createRouter({ routes, access: createBootstrapAccess('unused'), log: createTestLogger() }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('router: route matching', () => {
  it.each([
    ['/a/fixed', 'a-rest', { x: 'fixed', rest: '' }],
    ['/a/one', 'a-rest', { x: 'one', rest: '' }],
    ['/a/one/', 'a-rest', { x: 'one', rest: '' }],
    ['/a/one/two%2Fthree/four', 'a-rest', { x: 'one', rest: 'two%2Fthree/four' }],
    ['/a/one/two//three/', 'a-rest', { x: 'one', rest: 'two//three/' }],
    ['/a/one/x?list=true', 'a-rest', { x: 'one', rest: 'x' }],
    ['/a/one/t"wo', 'a-rest', { x: 'one', rest: 't%22wo' }],
    ['/b/one', 'b', { x: 'one' }],
    ['/c', 'c', { all: '' }],
    ['/c/', 'c', { all: '' }],
    ['/c/d/e', 'c', { all: 'd/e' }],
  ])('GET %s -> %s %j', async (path, route, params) => {
    const response = await rawRequest(url, { path });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ route, params });
    expect(Object.keys((response.json as { params: object }).params).sort()).toEqual(Object.keys(params).sort());
  });

  it.each([['/a'], ['/a//two'], ['/b/one/extra'], ['/b/'], ['/nothing'], ['/']])(
    'GET %s is 404 ERR_ROUTE_NOT_FOUND',
    async (path) => {
      const response = await rawRequest(url, { path });
      expect(response.status).toBe(404);
      expect(response.json).toMatchObject({ code: 'ERR_ROUTE_NOT_FOUND' });
    },
  );

  it('a path matched only with other methods is 405; the matching method reaches its own route', async () => {
    const refused = await rawRequest(url, { method: 'DELETE', path: '/a/one/two' });
    expect(refused.status).toBe(405);
    expect(refused.json).toMatchObject({
      code: 'ERR_METHOD_NOT_ALLOWED',
      description: 'method DELETE is not allowed on /a/one/two',
    });
    expect((await rawRequest(url, { method: 'PUT', path: '/a/one/two' })).json).toMatchObject({
      route: 'a-put',
      params: { x: 'one', rest: 'two' },
    });
    expect((await rawRequest(url, { method: 'PUT', path: '/b/one' })).status).toBe(405);
  });
});
