// The Secrets API client: its wire format as seen by a stand-in for a *real DC/OS cluster*, and
// the admin calls (seal, unseal, auto-unseal, init status) against the real store server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIamClient, type IamClient } from '../../src/client/iam-client.js';
import { createSecretsHttpApi, type SecretsHttpApi } from '../../src/client/secrets-http-api.js';
import type { TokenProvider } from '../../src/client/token-provider.js';
import { createTokenProvider } from '../../src/auth/token-provider.js';
import { decryptPgpMessage, readPgpPrivateKey } from '../../src/crypto/openpgp.js';
import { getTestPgpKeyPair } from '../helpers/pgp-keypair.js';
import { sendJson, startDcosStandIn, type DcosStandIn } from './support/dcos-stand-in.js';
import { startRealStore, type RealStore } from './support/real-store.js';
import { expectRejection } from '../helpers/rejection.js';

const fixedToken: TokenProvider = { getToken: async () => 'tok', invalidate: () => {} };

describe('wire format (stand-in for a real DC/OS cluster)', () => {
  let standIn: DcosStandIn;
  let api: SecretsHttpApi;

  beforeAll(async () => {
    standIn = await startDcosStandIn((request, res) => {
      const path = request.rawUrl.split('?')[0] ?? '';
      if (request.method === 'GET' && request.rawUrl.endsWith('?list=true'))
        return sendJson(res, 200, { array: ['k1', 'folder/k2'] });
      if (request.method === 'GET' && path.endsWith('/bin')) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(Buffer.from([1, 2, 3]));
        return;
      }
      if (request.method === 'GET' && path.startsWith('/secrets/v1/secret/'))
        return sendJson(res, 200, { value: 'text', author: 'bootstrapuser', labels: ['a'] });
      if (request.method === 'PUT' && path === '/secrets/v1/seal/default') {
        // SW2 documents no body for seal: the client then asks for the status.
        res.writeHead(200);
        res.end();
        return;
      }
      if (path === '/secrets/v1/seal-status/default')
        return sendJson(res, 200, { sealed: true, threshold: 1, shares: 1, progress: 0 });
      if (path === '/secrets/v1/auto-unseal/default') {
        res.writeHead(204);
        res.end();
        return;
      }
      res.writeHead(request.method === 'PUT' ? 201 : 204);
      res.end();
    });
    api = createSecretsHttpApi({ url: `${standIn.url}/`, tokenProvider: fixedToken });
  });

  afterAll(async () => {
    await api?.close();
    await standIn?.close();
  });

  const last = () => {
    const request = standIn.requests.at(-1);
    if (request === undefined) throw new Error('no request recorded');
    return request;
  };

  it('GET sends `Accept: */*` and `Authorization: token=`, and reads a JSON text secret', async () => {
    const record = await api.getSecret('team/db password');
    expect(last()).toMatchObject({ method: 'GET', rawUrl: '/secrets/v1/secret/default/team/db%20password' });
    expect(last().headers).toMatchObject({ accept: '*/*', authorization: 'token=tok' });
    expect(record).toMatchObject({ path: 'team/db password', type: 'text', author: 'bootstrapuser', labels: ['a'] });
    expect(Buffer.from(record.bytes).toString()).toBe('text');
  });

  it('reads an octet-stream answer as a binary secret', async () => {
    const record = await api.getSecret('bin');
    expect(record.type).toBe('binary');
    expect([...record.bytes]).toEqual([1, 2, 3]);
  });

  it('encodes each segment, so `%2F` in a name cannot become a separator', async () => {
    await api.getSecret('a%2Fb/c#d?e');
    expect(last().rawUrl).toBe('/secrets/v1/secret/default/a%252Fb/c%23d%3Fe');
  });

  it('PUT a text secret as JSON `{"value"}` (with description and labels)', async () => {
    await api.createSecret('k', {
      type: 'text',
      bytes: new TextEncoder().encode('v'),
      description: 'd',
      labels: ['x'],
    });
    expect(last()).toMatchObject({ method: 'PUT', rawUrl: '/secrets/v1/secret/default/k' });
    expect(last().headers['content-type']).toBe('application/json');
    expect(JSON.parse(last().body.toString())).toEqual({ value: 'v', description: 'd', labels: ['x'] });
  });

  it('PATCH a binary secret as raw application/octet-stream bytes', async () => {
    await api.updateSecret('k', { type: 'binary', bytes: Uint8Array.from([0x76, 0x61, 0x85, 0xff]) });
    expect(last()).toMatchObject({ method: 'PATCH', rawUrl: '/secrets/v1/secret/default/k' });
    expect(last().headers['content-type']).toBe('application/octet-stream');
    expect(last().body.toString('hex')).toBe('766185ff');
  });

  it('refuses what it cannot send faithfully', async () => {
    await expectRejection(
      api.createSecret('k', { type: 'binary', bytes: new Uint8Array(1), description: 'lost' }),
      'ERR_USAGE',
    );
    await expectRejection(api.createSecret('k', { type: 'text', bytes: Uint8Array.from([0xff]) }), 'ERR_INPUT_INVALID');
    await expectRejection(api.getSecret(''), 'ERR_SECRET_PATH_INVALID');
    await expectRejection(api.deleteSecret('a/./b'), 'ERR_SECRET_PATH_INVALID');
    await expectRejection(api.unseal('not hex'), 'ERR_UNSEAL_KEY_INVALID');
  });

  it('DELETE, and list with `?list=true` (root: `default/?list=true`)', async () => {
    await api.deleteSecret('k');
    expect(last()).toMatchObject({ method: 'DELETE', rawUrl: '/secrets/v1/secret/default/k' });
    expect(await api.listSecrets('')).toEqual(['k1', 'folder/k2']);
    expect(last().rawUrl).toBe('/secrets/v1/secret/default/?list=true');
    await api.listSecrets('folder/');
    expect(last().rawUrl).toBe('/secrets/v1/secret/default/folder?list=true');
  });

  it('follows a bodiless seal or a 204 auto-unseal with GET /seal-status', async () => {
    expect((await api.seal()).sealed).toBe(true);
    expect(last().rawUrl).toBe('/secrets/v1/seal-status/default');
    await api.autoUnseal();
    expect(standIn.requests.at(-2)).toMatchObject({ method: 'PUT', rawUrl: '/secrets/v1/auto-unseal/default' });
    expect(last().rawUrl).toBe('/secrets/v1/seal-status/default');
  });
});

describe('admin calls against the real store', () => {
  let store: RealStore;
  let iam: IamClient;
  let admin: SecretsHttpApi;

  beforeAll(async () => {
    store = await startRealStore();
    iam = createIamClient({ url: store.url });
    const tokenProvider = createTokenProvider({
      method: { kind: 'password', uid: store.superuser.uid, password: store.superuser.password, source: 'test' },
      login: (request, endpoint) => iam.login(request, endpoint),
      loginEndpoint: `${store.url}/acs/api/v1/auth/login`,
    });
    admin = createSecretsHttpApi({ url: store.url, tokenProvider });
  });

  afterAll(async () => {
    await admin?.close();
    await iam?.close();
    await store?.close();
  });

  it('reads the init status, seals, and unseals with the key decrypted from it', async () => {
    const init = await admin.initStatus();
    expect(init.initialized).toBe(true);
    expect(init.keys).toHaveLength(1);
    expect(init.pgpFingerprints).toEqual([(await getTestPgpKeyPair()).fingerprint]);
    const privateKey = await readPgpPrivateKey((await getTestPgpKeyPair()).privateKeyArmored, 'test key');
    // The message holds the key as hex text (what `xxd -r -p | gpg -d` prints and /unseal takes).
    const unsealKeyHex = Buffer.from(await decryptPgpMessage(Buffer.from(init.keys[0] as string, 'hex'), privateKey))
      .toString('ascii')
      .trim();

    expect(await admin.seal()).toEqual({ sealed: true, threshold: 1, shares: 1, progress: 0 });
    await expect(admin.seal()).rejects.toMatchObject({ code: 'ERR_STORE_ALREADY_SEALED' });
    await expect(admin.unseal('00'.repeat(32))).rejects.toMatchObject({ code: 'ERR_UNSEAL_KEY_INVALID' });
    expect((await admin.sealStatus()).sealed).toBe(true);
    expect(await admin.unseal(unsealKeyHex)).toEqual({ sealed: false, threshold: 1, shares: 1, progress: 0 });
  });

  it('auto-unseals with the stored bootstrap key', async () => {
    await admin.seal();
    expect((await admin.autoUnseal()).sealed).toBe(false);
  });

  it('needs superuser for seal: an ordinary account gets ERR_FORBIDDEN', async () => {
    const user = await store.createUser('plain-user', []);
    const api = createSecretsHttpApi({
      url: store.url,
      tokenProvider: createTokenProvider({
        method: { kind: 'password', uid: user.uid, password: user.password, source: 'test' },
        login: (request, endpoint) => iam.login(request, endpoint),
        loginEndpoint: `${store.url}/acs/api/v1/auth/login`,
      }),
    });
    try {
      await expect(api.seal()).rejects.toMatchObject({
        code: 'ERR_FORBIDDEN',
        message: expect.stringContaining('dcos:superuser'),
      });
      expect((await api.sealStatus()).sealed).toBe(false);
    } finally {
      await api.close();
    }
  });
});
