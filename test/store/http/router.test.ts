import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNoDotSegments } from '../../../src/store/http/router.js';
import { canaryValue } from '../../helpers/canary.js';
import { startTestStore, type TestStore } from '../support/store-server.js';

// Dot segments in the raw request target: URL normalization must never route
// `/secrets/v1/secret/default/../../seal/default` to the seal route (store-admin brief, item 4).
let store: TestStore;

beforeAll(async () => {
  store = await startTestStore();
  const created = await store.request({
    method: 'PUT',
    path: '/secrets/v1/secret/default/app/db',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ value: canaryValue }),
  });
  expect(created.status).toBe(201);
});

afterAll(async () => {
  await store.close();
});

describe('router: dot segments over real HTTP', () => {
  // Under /secrets/v1/secret/ the segment is named as the secret path rules name it (decoded, counted in the path).
  const traversals = [
    { path: '/secrets/v1/secret/default/../../seal/default', named: 'segment 1 `..` is not allowed' },
    { path: '/secrets/v1/secret/default/%2e%2e/%2E%2E/seal/default', named: 'segment 1 `..` is not allowed' },
    { path: '/secrets/v1/secret/default/.%2e/.%2E/seal/default', named: 'segment 1 `..` is not allowed' },
    { path: '/secrets/v1/secret/default/app/./db', named: 'segment 2 `.` is not allowed' },
    { path: '/secrets/v1/secret/default/app/%2E/db', named: 'segment 2 `.` is not allowed' },
    { path: '/secrets/v1/secret/default/app/db/..', named: 'segment 3 `..` is not allowed' },
    { path: '/secrets/v1/secret/../seal/default', named: 'segment 4 `..` is a dot segment' },
    { path: '/secrets/v1/foo/../seal/default', named: 'segment 4 `..` is a dot segment' },
    { path: '/acs/api/v1/users/%2e%2e/../../../secrets/v1/seal/default', named: 'segment 5 `%2e%2e` is a dot segment' },
  ];

  it.each(traversals)('PUT $path is refused with 400 ($named); the store stays unsealed', async ({ path, named }) => {
    const response = await store.request({ method: 'PUT', path });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ title: 'Bad Request', code: 'ERR_SECRET_PATH_INVALID' });
    expect((response.json as { description: string }).description).toContain(named);
    expect((await store.request({ path: '/secrets/v1/seal-status/default' })).json).toMatchObject({ sealed: false });
  });

  it('refuses a backslash, which URL parsing would turn into `/`', async () => {
    const response = await store.request({ method: 'PUT', path: '/secrets/v1/secret/default/..\\..\\seal/default' });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ code: 'ERR_SECRET_PATH_INVALID' });
    expect((await store.request({ path: '/secrets/v1/seal-status/default' })).json).toMatchObject({ sealed: false });
  });

  it('without the check the same target would have sealed the store: the normalized path is the seal route', () => {
    expect(new URL('/secrets/v1/secret/default/%2e%2e/%2E%2E/seal/default', 'http://x').pathname).toBe(
      '/secrets/v1/seal/default',
    );
  });

  it('leaves dots inside segments and in the query alone', async () => {
    expect(() => assertNoDotSegments('/secrets/v1/secret/default/a.b/..c/d..?x=../..')).not.toThrow();
    expect(() => assertNoDotSegments('/secrets/v1/secret/default/app/db?list=../')).not.toThrow();
    const read = await store.request({ path: '/secrets/v1/secret/default/app/db' });
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ value: canaryValue });
    expect((await store.request({ path: '/secrets/v1/secret/default/app/db.v2' })).status).toBe(404);
  });
});
