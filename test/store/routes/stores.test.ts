import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecordingAccess, startTestStore, type TestStore } from '../support/store-server.js';

let store: TestStore;
const access = createRecordingAccess();
const alice = { authorization: 'token=alice' };

beforeAll(async () => {
  store = await startTestStore({ access });
});

afterAll(async () => {
  await store.close();
});

describe('store routes', () => {
  it('GET /store lists the default backend (DC/OS integration tests read array[0].initialized)', async () => {
    const response = await store.request({ path: '/secrets/v1/store', headers: alice });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      array: [
        {
          name: 'default',
          description: 'Secret Store default backend (file storage)',
          driver: 'file',
          initialized: true,
          sealed: false,
        },
      ],
    });
  });

  it('GET /store/default reflects the seal state; other names are 404', async () => {
    expect((await store.request({ path: '/secrets/v1/store/default', headers: alice })).json).toMatchObject({
      name: 'default',
      initialized: true,
      sealed: false,
    });
    await store.server.store.seal.seal();
    expect((await store.request({ path: '/secrets/v1/store/default', headers: alice })).json).toMatchObject({
      sealed: true,
    });
    await store.server.store.seal.autoUnseal();
    const missing = await store.request({ path: '/secrets/v1/store/vault', headers: alice });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ code: 'ERR_STORE_NOT_FOUND' });
  });

  it('creating or deleting stores is 400 ERR_STORE_UNSUPPORTED, after a superuser check', async () => {
    access.calls.length = 0;
    for (const method of ['PUT', 'DELETE']) {
      const response = await store.request({
        method,
        path: '/secrets/v1/store/other',
        headers: { ...alice, 'content-type': 'application/json' },
        body: method === 'PUT' ? '{"driver":"vault"}' : '',
      });
      expect(response.status).toBe(400);
      expect(response.json).toMatchObject({ code: 'ERR_STORE_UNSUPPORTED' });
    }
    expect(access.calls).toEqual(['dcos:superuser full', 'dcos:superuser full']);
    expect((await store.request({ path: '/secrets/v1/store', headers: {} })).status).toBe(401);
  });
});
