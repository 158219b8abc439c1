import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getTestPgpKeyPair } from '../../helpers/pgp-keypair.js';
import { createGpgHome, type GpgHome } from '../support/gpg-home.js';
import { createRecordingAccess, startTestStore, type RawResponse, type TestStore } from '../support/store-server.js';

const json = { 'content-type': 'application/json' };
const secretPath = '/secrets/v1/secret/default';
let gpg: GpgHome;

beforeAll(async () => {
  gpg = await createGpgHome();
});

afterAll(async () => {
  await gpg.close();
});

function expectError(response: RawResponse, status: number, code: string, description?: string): void {
  expect(response.status, response.body.toString('utf8')).toBe(status);
  const body = response.json as { description: string; code: string };
  expect(body.code).toBe(code);
  if (description !== undefined) expect(body.description).toContain(description);
}

// The documented recovery with stock tools: `xxd -r -p | gpg -d` on keys[0] of GET /init/default.
function decryptWithStockTools(hex: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', 'xxd -r -p | gpg --batch --quiet --decrypt'], {
      env: { ...process.env, GNUPGHOME: gpg.dir },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out).toString('utf8'))
        : reject(new Error(`gpg exited ${String(code)}: ${Buffer.concat(err).toString('utf8')}`)),
    );
    child.stdin.end(hex);
  });
}

const sealStatus = (sealed: boolean): Record<string, unknown> => ({ sealed, threshold: 1, shares: 1, progress: 0 });

describe('bootstrap store: seal, unseal with the gpg-decrypted key, auto-unseal, restart', () => {
  let store: TestStore;

  beforeAll(async () => {
    store = await startTestStore();
  });

  afterAll(async () => {
    await store.close();
  });

  it('reports seal status exactly like DC/OS', async () => {
    const response = await store.request({ path: '/secrets/v1/seal-status/default' });
    expect(response.status).toBe(200);
    expect(response.json).toEqual(sealStatus(false));
    expectError(
      await store.request({ path: '/secrets/v1/seal-status/fake' }),
      404,
      'ERR_STORE_NOT_FOUND',
      'Store `fake` not found',
    );
  });

  it('GET /init/default: hex of a binary PGP message that gpg (with the stored bootstrap key) opens; that key unseals', async () => {
    const pair = await getTestPgpKeyPair();
    const init = await store.request({ path: '/secrets/v1/init/default' });
    expect(init.status).toBe(200);
    const body = init.json as { initialized: boolean; keys: string[]; pgp_fingerprints: string[] };
    expect(Object.keys(body).sort()).toEqual(['initialized', 'keys', 'pgp_fingerprints']);
    expect(body.initialized).toBe(true);
    expect(body.pgp_fingerprints).toEqual([pair.fingerprint]);
    expect(body.keys).toHaveLength(1);
    expect(body.keys[0]).toMatch(/^[0-9a-f]+$/);

    // Like DC/OS's manual flow: take the bootstrap private key from storage and import it into gpg.
    const stored = await store.storage.get(`store/default/pgp-private-keys/${pair.fingerprint}`);
    const imported = await gpg.gpg(['--import'], Buffer.from(stored?.value ?? []));
    expect(imported.code, imported.stderr).toBe(0);
    const unsealKey = await decryptWithStockTools(body.keys[0] ?? '');
    expect(unsealKey).toMatch(/^[0-9a-f]{64}$/);

    expect(
      (
        await store.request({
          method: 'PUT',
          path: `${secretPath}/kept`,
          headers: json,
          body: '{"value":"kept across seals"}',
        })
      ).status,
    ).toBe(201);
    const sealed = await store.request({ method: 'PUT', path: '/secrets/v1/seal/default' });
    expect(sealed.status).toBe(200);
    expect(sealed.json).toEqual(sealStatus(true));
    expectError(
      await store.request({ method: 'PUT', path: '/secrets/v1/seal/default' }),
      409,
      'ERR_STORE_ALREADY_SEALED',
    );
    expect((await store.request({ path: '/secrets/v1/seal-status/default' })).json).toEqual(sealStatus(true));

    // Sealed: every secret operation is 503 ERR_STORE_SEALED and nothing is lost.
    const sealedCalls: Array<Parameters<TestStore['request']>[0]> = [
      { path: `${secretPath}/kept` },
      { path: `${secretPath}/?list=true` },
      { method: 'PUT', path: `${secretPath}/new`, headers: json, body: '{"value":"x"}' },
      { method: 'PATCH', path: `${secretPath}/kept`, headers: json, body: '{"value":"x"}' },
      { method: 'DELETE', path: `${secretPath}/kept` },
    ];
    for (const call of sealedCalls) expectError(await store.request(call), 503, 'ERR_STORE_SEALED', 'store is sealed');

    // A wrong key: 400, still sealed.
    expectError(
      await store.request({
        method: 'PUT',
        path: '/secrets/v1/unseal/default',
        headers: json,
        body: JSON.stringify({ key: 'ab'.repeat(32) }),
      }),
      400,
      'ERR_UNSEAL_KEY_INVALID',
      'wrong',
    );
    expectError(
      await store.request({ method: 'PUT', path: '/secrets/v1/unseal/default', headers: json, body: '{"key":"zz"}' }),
      400,
      'ERR_UNSEAL_KEY_INVALID',
      '64 hex digits',
    );
    expectError(
      await store.request({
        method: 'PUT',
        path: '/secrets/v1/unseal/default',
        headers: json,
        body: '{"key":"ab","extra":1}',
      }),
      400,
      'ERR_INPUT_INVALID',
      '/extra',
    );
    expectError(
      await store.request({ method: 'PUT', path: '/secrets/v1/unseal/default', headers: json, body: '' }),
      400,
      'ERR_INPUT_INVALID',
    );
    expect((await store.request({ path: '/secrets/v1/seal-status/default' })).json).toEqual(sealStatus(true));

    const unsealed = await store.request({
      method: 'PUT',
      path: '/secrets/v1/unseal/default',
      headers: json,
      body: JSON.stringify({ key: unsealKey }),
    });
    expect(unsealed.status).toBe(200);
    expect(unsealed.json).toEqual(sealStatus(false));
    expect((await store.request({ path: `${secretPath}/kept` })).json).toMatchObject({ value: 'kept across seals' });
  });

  it('auto-unseal takes an empty body (docs) or an UnsealRequest (SW2)', async () => {
    await store.request({ method: 'PUT', path: '/secrets/v1/seal/default' });
    const empty = await store.request({ method: 'PUT', path: '/secrets/v1/auto-unseal/default' });
    expect(empty.status).toBe(200);
    expect(empty.json).toEqual(sealStatus(false));
    await store.request({ method: 'PUT', path: '/secrets/v1/seal/default' });
    const withBody = await store.request({
      method: 'PUT',
      path: '/secrets/v1/auto-unseal/default',
      headers: json,
      body: '{"key":"c1c0ffee"}',
    });
    expect(withBody.json).toEqual(sealStatus(false));
    expectError(
      await store.request({
        method: 'PUT',
        path: '/secrets/v1/auto-unseal/default',
        headers: json,
        body: '{"nope":1}',
      }),
      400,
      'ERR_INPUT_INVALID',
    );
  });

  it('a restart keeps data and the seal intent: sealed stays sealed, unsealed auto-unseals', async () => {
    expect(
      (
        await store.request({
          method: 'PUT',
          path: `${secretPath}/restart/me`,
          headers: json,
          body: '{"value":"persisted"}',
        })
      ).status,
    ).toBe(201);
    await store.request({ method: 'PUT', path: '/secrets/v1/seal/default' });
    await store.restart();
    expect((await store.request({ path: '/secrets/v1/seal-status/default' })).json).toEqual(sealStatus(true));
    expectError(await store.request({ path: `${secretPath}/restart/me` }), 503, 'ERR_STORE_SEALED');
    expect((await store.request({ method: 'PUT', path: '/secrets/v1/auto-unseal/default' })).status).toBe(200);
    await store.restart();
    expect((await store.request({ path: '/secrets/v1/seal-status/default' })).json).toEqual(sealStatus(false));
    expect((await store.request({ path: `${secretPath}/restart/me` })).json).toMatchObject({ value: 'persisted' });
  });

  it('refuses a second init with 409', async () => {
    expectError(
      await store.request({ method: 'PUT', path: '/secrets/v1/init/default', headers: json, body: '{}' }),
      409,
      'ERR_STORE_ALREADY_INITIALIZED',
    );
  });
});

describe('uninitialized store: PUT /init with an operator gpg key', () => {
  let store: TestStore;

  beforeAll(async () => {
    store = await startTestStore({ initialize: false });
  });

  afterAll(async () => {
    await store.close();
  });

  it('answers GET /init and secret calls before init', async () => {
    expect((await store.request({ path: '/secrets/v1/init/default' })).json).toEqual({
      initialized: false,
      keys: [],
      pgp_fingerprints: [],
    });
    expect((await store.request({ path: '/secrets/v1/seal-status/default' })).json).toEqual({
      sealed: true,
      threshold: 0,
      shares: 0,
      progress: 0,
    });
    expectError(await store.request({ path: `${secretPath}/x` }), 503, 'ERR_STORE_NOT_INITIALIZED');
    expectError(
      await store.request({ method: 'PUT', path: '/secrets/v1/auto-unseal/default' }),
      503,
      'ERR_STORE_NOT_INITIALIZED',
    );
  });

  it('refuses bad init requests and changes nothing', async () => {
    expectError(
      await store.request({
        method: 'PUT',
        path: '/secrets/v1/init/default',
        headers: json,
        body: '{"shares":3,"threshold":2}',
      }),
      400,
      'ERR_STORE_INIT_INVALID',
      '`shares` to be 1',
    );
    expectError(
      await store.request({
        method: 'PUT',
        path: '/secrets/v1/init/default',
        headers: json,
        body: '{"pgp_keys":["bm90IGEga2V5"]}',
      }),
      400,
      'ERR_STORE_INIT_INVALID',
      '/pgp_keys/0',
    );
    expectError(
      await store.request({ method: 'PUT', path: '/secrets/v1/init/default', headers: json, body: '{"pgp_keys":[1]}' }),
      400,
      'ERR_INPUT_INVALID',
      '/pgp_keys/0',
    );
    expectError(
      await store.request({
        method: 'PUT',
        path: '/secrets/v1/init/default',
        headers: json,
        body: '{"root_token":"x"}',
      }),
      400,
      'ERR_INPUT_INVALID',
      '/root_token',
    );
    expect((await store.request({ path: '/secrets/v1/init/default' })).json).toMatchObject({ initialized: false });
  });

  it('initializes with base64 of `gpg --export`, keeps no private key, gpg decrypts, the key unseals; restart stays sealed', async () => {
    const email = await gpg.generateRsaKey('operator');
    const exported = await gpg.gpg(['--export', email]);
    const pgpKey = exported.stdout.toString('base64');
    const init = await store.request({
      method: 'PUT',
      path: '/secrets/v1/init/default',
      headers: json,
      body: JSON.stringify({ shares: 1, threshold: 1, pgp_keys: [pgpKey] }),
    });
    expect(init.status, init.body.toString('utf8')).toBe(200);
    const body = init.json as { initialized: boolean; keys: string[]; pgp_fingerprints: string[] };
    const fingerprint = /^fpr:::::::::([0-9A-F]+):/m.exec(
      (await gpg.gpg(['--with-colons', '--fingerprint', email])).stdout.toString('utf8'),
    )?.[1];
    expect(body.pgp_fingerprints).toEqual([fingerprint?.toLowerCase()]);
    expect(body.initialized).toBe(true);
    expect(await store.storage.list('store/default')).toEqual(['store/default/init']);

    // Like Vault and DC/OS: after init with an operator key the store waits for the unseal key.
    expect((await store.request({ path: '/secrets/v1/seal-status/default' })).json).toEqual(sealStatus(true));
    expectError(
      await store.request({ method: 'PUT', path: '/secrets/v1/auto-unseal/default' }),
      400,
      'ERR_UNSEAL_NO_STORED_KEY',
    );
    const unsealKey = await decryptWithStockTools(body.keys[0] ?? '');
    expect(
      (
        await store.request({
          method: 'PUT',
          path: '/secrets/v1/unseal/default',
          headers: json,
          body: JSON.stringify({ key: unsealKey }),
        })
      ).json,
    ).toEqual(sealStatus(false));
    expect(
      (
        await store.request({
          method: 'PUT',
          path: `${secretPath}/op/secret`,
          headers: json,
          body: '{"value":"operator"}',
        })
      ).status,
    ).toBe(201);

    await store.restart();
    expect((await store.request({ path: '/secrets/v1/seal-status/default' })).json).toEqual(sealStatus(true));
    expect((await store.request({ path: '/secrets/v1/init/default' })).json).toEqual(body);
    expect(
      (
        await store.request({
          method: 'PUT',
          path: '/secrets/v1/unseal/default',
          headers: json,
          body: JSON.stringify({ key: unsealKey }),
        })
      ).status,
    ).toBe(200);
    expect((await store.request({ path: `${secretPath}/op/secret` })).json).toMatchObject({ value: 'operator' });
  });
});

describe('authorization of seal routes', () => {
  let store: TestStore;
  const access = createRecordingAccess();

  beforeAll(async () => {
    store = await startTestStore({ access });
  });

  afterAll(async () => {
    await store.close();
  });

  it('init, seal, unseal and auto-unseal need dcos:superuser full; seal-status only a caller', async () => {
    const alice = { authorization: 'token=alice' };
    expect((await store.request({ path: '/secrets/v1/seal-status/default', headers: alice })).status).toBe(200);
    expect(access.calls).toEqual([]);
    access.deny.add('dcos:superuser full');
    for (const call of [
      { path: '/secrets/v1/init/default' },
      { method: 'PUT', path: '/secrets/v1/init/default' },
      { method: 'PUT', path: '/secrets/v1/seal/default' },
      { method: 'PUT', path: '/secrets/v1/unseal/default', headers: json, body: '{"key":"00"}' },
      { method: 'PUT', path: '/secrets/v1/auto-unseal/default' },
    ]) {
      expectError(
        await store.request({ ...call, headers: { ...alice, ...call.headers } }),
        403,
        'ERR_FORBIDDEN',
        'dcos:superuser',
      );
    }
    expect(new Set(access.calls)).toEqual(new Set(['dcos:superuser full']));
    expect((await store.request({ path: '/secrets/v1/seal-status/default', headers: alice })).json).toEqual(
      sealStatus(false),
    );
    expect(
      (await store.request({ path: '/secrets/v1/seal-status/default', headers: { authorization: 'token=nobody' } }))
        .status,
    ).toBe(401);
  });
});
