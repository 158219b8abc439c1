import { setTimeout as delay } from 'node:timers/promises';
import { Agent, request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsAgentError } from '../../../src/core/errors.js';
import type { AccessAction, AccessControl, Principal } from '../../../src/store/http/access.js';
import { createStoreServer } from '../../../src/store/server.js';
import { createTestLogger } from '../../helpers/log-capture.js';
import { getTestPgpKeyPair } from '../../helpers/pgp-keypair.js';
import { rawRequest, startTestStore, type RawResponse, type TestStore } from '../support/store-server.js';
import { openTempStorage } from '../support/temp-storage.js';

const json = { 'content-type': 'application/json' };
const secrets = '/secrets/v1/secret/default';
const changes = '/secrets/v1/changes/default';

interface Answer {
  index: string;
  paths: string[];
  reset: boolean;
}

// `token=root` is superuser; `token=alice` holds exactly the `<rid> <action>` pairs in `grants`
// and is refused (401) while `revoked` holds `alice`.
function createGrantAccess(grants: Set<string>, revoked: Set<string> = new Set()): AccessControl {
  return {
    async authenticate(headers): Promise<Principal> {
      if (headers.authorization === 'token=root') return { uid: 'root', superuser: true };
      if (headers.authorization === 'token=alice' && !revoked.has('alice')) return { uid: 'alice', superuser: false };
      if (headers.authorization === undefined)
        throw new SecretsAgentError('ERR_AUTH_REQUIRED', 'authentication required');
      throw new SecretsAgentError('ERR_AUTH_TOKEN_INVALID', 'invalid authentication token');
    },
    async authorize(principal: Principal, rid: string, action: AccessAction) {
      if (principal.superuser || grants.has(`${rid} ${action}`)) return;
      throw new SecretsAgentError('ERR_FORBIDDEN', `permission \`${rid}\` \`${action}\` is required`, {
        details: { rid, action },
      });
    },
  };
}

function expectError(response: RawResponse, status: number, code: string): void {
  expect(response.status, response.body.toString('utf8')).toBe(status);
  expect((response.json as { code: string }).code).toBe(code);
}

describe('change feed over HTTP (bootstrap superuser)', () => {
  let store: TestStore;
  const poll = async (query: string): Promise<Answer> => {
    const response = await store.request({ path: `${changes}?${query}` });
    expect(response.status, response.body.toString('utf8')).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['cache-control']).toBe('no-store');
    return response.json as Answer;
  };

  beforeAll(async () => {
    store = await startTestStore();
  });

  afterAll(async () => {
    await store.close();
  });

  it('every Secrets API response carries X-Secrets-Index, taken before the request ran', async () => {
    const before = store.server.changes.currentIndex();
    const created = await store.request({
      method: 'PUT',
      path: `${secrets}/hdr/a`,
      headers: json,
      body: '{"value":"v"}',
    });
    expect(created.status).toBe(201);
    expect(created.headers['x-secrets-index']).toBe(before);
    const after = store.server.changes.currentIndex();
    expect(after).not.toBe(before);
    const read = await store.request({ path: `${secrets}/hdr/a` });
    expect(read.headers['x-secrets-index']).toBe(after);
    expect((await store.request({ path: `${secrets}/?list=true` })).headers['x-secrets-index']).toBe(after);
    const missing = await store.request({ path: `${secrets}/hdr/none` });
    expect(missing.status).toBe(404);
    expect(missing.headers['x-secrets-index']).toBe(after);
    expect((await store.request({ path: '/secrets/v1/seal-status/default' })).headers['x-secrets-index']).toBe(after);
  });

  it('issue 12.8: X-Secrets-Index only for authenticated callers (not /ping, not a 401)', async () => {
    const anonymous = [
      await store.request({ path: '/secrets/v1/ping', headers: { authorization: '' } }),
      await store.request({ path: '/secrets/v1/ping/backends/all', headers: { authorization: '' } }),
      await store.request({ path: `${secrets}/hdr/a`, headers: { authorization: '' } }),
      await store.request({ path: `${secrets}/hdr/a`, headers: { authorization: 'token=wrong' } }),
      await store.request({ path: `${changes}?wait=0s`, headers: { authorization: 'token=wrong' } }),
    ];
    expect(anonymous.map((response) => response.status)).toEqual([200, 200, 401, 401, 401]);
    for (const response of anonymous) expect(response.headers['x-secrets-index']).toBeUndefined();
    const authenticated = await store.request({ path: `${secrets}/hdr/a` });
    expect(authenticated.headers['x-secrets-index']).toBe(store.server.changes.currentIndex());
  });

  it('without index: at once, reset, the current index; with it: what changed since, sorted', async () => {
    const first = await poll('wait=60s');
    expect(first).toEqual({ index: store.server.changes.currentIndex(), paths: [], reset: true });
    await store.request({ method: 'PUT', path: `${secrets}/feed/b`, headers: json, body: '{"value":"1"}' });
    await store.request({ method: 'PUT', path: `${secrets}/feed/a`, headers: json, body: '{"value":"1"}' });
    await store.request({ method: 'PATCH', path: `${secrets}/feed/b`, headers: json, body: '{"value":"2"}' });
    await store.request({ method: 'DELETE', path: `${secrets}/feed/a` });
    const second = await poll(`index=${first.index}&wait=60s`);
    expect(second).toEqual({ index: store.server.changes.currentIndex(), paths: ['feed/a', 'feed/b'], reset: false });
    expect(JSON.stringify(second)).not.toContain('"value"');
  });

  it('a parked long poll returns when a secret is written, and only for paths under `path`', async () => {
    const { index } = await poll('');
    const waiting = poll(`index=${index}&wait=5m&path=watched`);
    await until(() => store.server.changes.waiting === 1);
    await store.request({ method: 'PUT', path: `${secrets}/elsewhere/x`, headers: json, body: '{"value":"1"}' });
    await until(() => store.server.changes.waiting === 1);
    await store.request({ method: 'PUT', path: `${secrets}/watched/x`, headers: json, body: '{"value":"1"}' });
    const answer = await waiting;
    expect(answer.paths).toEqual(['watched/x']);
    expect(answer.reset).toBe(false);
  });

  it('returns an empty list and the same index when the wait ends with no change', async () => {
    const { index } = await poll('');
    expect(await poll(`index=${index}&wait=100ms`)).toEqual({ index, paths: [], reset: false });
    expect(await poll(`index=${index}&wait=0`)).toEqual({ index, paths: [], reset: false });
  });

  it('an index from another server process (another epoch) gets a reset', async () => {
    expect(await poll(`index=${'f'.repeat(16)}.3&wait=60s`)).toMatchObject({ paths: [], reset: true });
  });

  it('refuses bad parameters, unknown stores and missing tokens', async () => {
    expectError(await store.request({ path: `${changes}?index=abc` }), 400, 'ERR_INPUT_INVALID');
    expectError(await store.request({ path: `${changes}?wait=forever` }), 400, 'ERR_INPUT_INVALID');
    expectError(await store.request({ path: `${changes}?path=a/../b` }), 400, 'ERR_SECRET_PATH_INVALID');
    expectError(await store.request({ path: '/secrets/v1/changes/other' }), 404, 'ERR_STORE_NOT_FOUND');
    const anonymous = await rawRequest(store.url, { path: changes });
    expectError(anonymous, 401, 'ERR_AUTH_REQUIRED');
    expect(anonymous.headers['www-authenticate']).toBe('acsjwt');
  });

  it('a client that goes away frees its waiter at once', async () => {
    const { index } = await poll('');
    const agent = new Agent({ keepAlive: false });
    const requests = Array.from({ length: 50 }, () => {
      const req = httpRequest({
        host: new URL(store.url).hostname,
        port: new URL(store.url).port,
        path: `${changes}?index=${index}&wait=5m`,
        headers: { authorization: `token=${store.token}` },
        agent,
      });
      req.on('error', () => undefined);
      req.end();
      return req;
    });
    await until(() => store.server.changes.waiting === 50);
    for (const req of requests) req.destroy();
    await until(() => store.server.changes.waiting === 0);
    agent.destroy();
  });

  it('a sealed store answers 503 ERR_STORE_SEALED, also to a poll parked before the seal', async () => {
    const { index } = await poll('');
    const parked = store.request({ path: `${changes}?index=${index}&wait=5m` });
    await until(() => store.server.changes.waiting === 1);
    expect((await store.request({ method: 'PUT', path: '/secrets/v1/seal/default' })).status).toBe(200);
    // The seal intent write is a storage change but not a secret one: wake the poll with a secret write.
    await store.storage.put('secrets/default/sealed/x', new Uint8Array([1]));
    expectError(await parked, 503, 'ERR_STORE_SEALED');
    expectError(await store.request({ path: `${changes}?index=${index}` }), 503, 'ERR_STORE_SEALED');
    expect((await store.request({ method: 'PUT', path: '/secrets/v1/auto-unseal/default' })).status).toBe(200);
    expect((await poll(`index=${index}&wait=0`)).paths).toEqual(['sealed/x']);
  });
});

describe('change feed authorization', () => {
  const grants = new Set<string>();
  const revoked = new Set<string>();
  let store: TestStore;
  const pollAs = async (who: string, query: string): Promise<Answer> => {
    const response = await store.request({ path: `${changes}?${query}`, headers: { authorization: `token=${who}` } });
    expect(response.status, response.body.toString('utf8')).toBe(200);
    return response.json as Answer;
  };
  const write = async (path: string): Promise<void> => {
    const response = await store.request({
      method: 'PUT',
      path: `${secrets}/${path}`,
      headers: { ...json, authorization: 'token=root' },
      body: '{"value":"v"}',
    });
    expect(response.status).toBe(201);
  };

  beforeAll(async () => {
    store = await startTestStore({ access: createGrantAccess(grants, revoked) });
  });

  afterAll(async () => {
    await store.close();
  });

  it('shows a caller only paths in folders it may list or secrets it may read', async () => {
    grants.add('dcos:secrets:list:default:/team read');
    grants.add('dcos:secrets:default:/ops/db read');
    const { index } = await pollAs('alice', '');
    await write('team/a');
    await write('team/sub/b');
    await write('ops/db');
    await write('ops/other');
    await write('top');
    expect((await pollAs('alice', `index=${index}&wait=0`)).paths).toEqual(['ops/db', 'team/a']);
    expect((await pollAs('root', `index=${index}&wait=0`)).paths).toEqual([
      'ops/db',
      'ops/other',
      'team/a',
      'team/sub/b',
      'top',
    ]);
    // List permission on the prefix covers everything below it.
    expect((await pollAs('alice', `index=${index}&wait=0&path=team`)).paths).toEqual(['team/a', 'team/sub/b']);
    expect((await pollAs('alice', `index=${index}&wait=0&path=ops`)).paths).toEqual(['ops/db']);
  });

  it('a token that stopped being valid during the wait gets 401 and the change is not skipped', async () => {
    // Regression: the daemon's account was rotated while its poll was parked; the answer was
    // filtered with the old principal and the index moved past the change.
    const { index } = await pollAs('alice', '');
    const parked = store.request({
      path: `${changes}?index=${index}&wait=5m`,
      headers: { authorization: 'token=alice' },
    });
    await until(() => store.server.changes.waiting === 1);
    revoked.add('alice');
    await write('team/while-revoked');
    expectError(await parked, 401, 'ERR_AUTH_TOKEN_INVALID');
    revoked.delete('alice');
    expect((await pollAs('alice', `index=${index}&wait=0`)).paths).toEqual(['team/while-revoked']);
  });

  it('a parked poll of a caller that sees nothing of a change stays parked', async () => {
    const { index } = await pollAs('alice', '');
    const parked = pollAs('alice', `index=${index}&wait=5m`);
    await until(() => store.server.changes.waiting === 1);
    await write('hidden/one');
    await until(() => store.server.changes.waiting === 1);
    await write('team/visible');
    expect((await parked).paths).toEqual(['team/visible']);
  });
});

describe('closing the server', () => {
  it('answers every parked long poll at once instead of holding close() for the grace period', async () => {
    const { storage } = await openTempStorage();
    const server = await createStoreServer({
      storage,
      access: createGrantAccess(new Set()),
      log: createTestLogger(),
      listen: { host: '127.0.0.1', port: 0 },
      initialize: { keyPair: await getTestPgpKeyPair() },
      // Far beyond the test timeout: close() may only finish in time if the polls were answered.
      closeGraceMs: 600_000,
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 300 });
    try {
      const index = server.changes.currentIndex();
      const polls = Array.from({ length: 200 }, () =>
        rawRequest(
          server.url,
          { path: `${changes}?index=${index}&wait=5m`, headers: { authorization: 'token=root' } },
          agent,
        ),
      );
      await until(() => server.changes.waiting === 200);
      await server.close();
      const answers = await Promise.all(polls);
      expect(answers.every((answer) => answer.status === 200 && (answer.json as Answer).paths.length === 0)).toBe(true);
    } finally {
      agent.destroy();
      await storage.close();
    }
  });
});

async function until(predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await delay(5);
  }
}
