import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsAgentError } from '../../../src/core/errors.js';
import type { StorageBackend } from '../../../src/store/storage/backend.js';
import { rawRequest, startTestStore, type TestStore } from '../support/store-server.js';

let store: TestStore;
let storageDown = false;

// Makes the storage's ping fail on demand, as a lost ZooKeeper quorum would.
function withFlakyPing(real: StorageBackend): StorageBackend {
  return new Proxy(real, {
    get(target, property, receiver) {
      if (property === 'ping') {
        return async () => {
          if (storageDown) throw new SecretsAgentError('ERR_STORAGE_UNAVAILABLE', 'storage is unreachable');
          await target.ping();
        };
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

beforeAll(async () => {
  store = await startTestStore({ wrapStorage: withFlakyPing });
});

afterAll(async () => {
  await store.close();
});

describe('ping routes', () => {
  it('GET /ping answers `pong` as text/plain without a token', async () => {
    const response = await rawRequest(store.url, { path: '/secrets/v1/ping' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain');
    expect(response.body.toString('utf8')).toBe('pong');
  });

  it('GET /ping/backends/default and /all: 200 while storage answers, 503 when it does not', async () => {
    for (const backend of ['default', 'all']) {
      const response = await rawRequest(store.url, { path: `/secrets/v1/ping/backends/${backend}` });
      expect(response.status).toBe(200);
      expect(response.body.toString('utf8')).toBe('pong');
    }
    storageDown = true;
    try {
      for (const backend of ['default', 'all']) {
        const response = await rawRequest(store.url, { path: `/secrets/v1/ping/backends/${backend}` });
        expect(response.status).toBe(503);
        expect((response.json as { code: string }).code).toBe('ERR_STORAGE_UNAVAILABLE');
      }
    } finally {
      storageDown = false;
    }
  });

  it('GET /ping/backends/<unknown> is 404 store not found', async () => {
    const response = await rawRequest(store.url, { path: '/secrets/v1/ping/backends/vault2' });
    expect(response.status).toBe(404);
    expect((response.json as { description: string }).description).toContain('Store `vault2` not found');
  });
});
