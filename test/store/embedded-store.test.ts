import { afterEach, describe, expect, it } from 'vitest';
import { openEmbeddedStore, type EmbeddedStore } from '../../src/store/embedded-store.js';
import { canaryValue } from '../helpers/canary.js';
import { createTestLogger } from '../helpers/log-capture.js';
import { getTestPgpKeyPair } from '../helpers/pgp-keypair.js';
import { makeDataDir } from './support/temp-storage.js';
import { expectRejection } from '../helpers/rejection.js';

const log = createTestLogger();
const open: EmbeddedStore[] = [];

afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
});

async function openStore(dataDir: string, initialize = true): Promise<EmbeddedStore> {
  const store = await openEmbeddedStore({
    dataDir,
    log,
    ...(initialize ? { initialize: { keyPair: await getTestPgpKeyPair() } } : {}),
  });
  open.push(store);
  return store;
}

describe('embedded store', () => {
  it('offers the SecretsApi over the same repository, with no HTTP', async () => {
    const store = await openStore(await makeDataDir());
    expect(await store.sealStatus()).toEqual({ sealed: false, threshold: 1, shares: 1, progress: 0 });
    await store.createSecret('app/db', { type: 'text', bytes: Buffer.from(canaryValue), description: 'db' });
    await store.createSecret('app/blob', { type: 'binary', bytes: Uint8Array.from([0x85, 0xff]) });
    await expectRejection(store.createSecret('app/db', { type: 'text', bytes: Buffer.from('x') }), 'ERR_SECRET_EXISTS');
    const record = await store.getSecret('app/db');
    expect(record).toMatchObject({ path: 'app/db', type: 'text', description: 'db', author: 'local' });
    expect(Buffer.from(record.bytes).toString('utf8')).toBe(canaryValue);
    await store.updateSecret('app/db', { type: 'text', bytes: Buffer.from('v2') });
    expect(Buffer.from((await store.getSecret('app/db')).bytes).toString('utf8')).toBe('v2');
    expect(await store.listSecrets('')).toEqual(['app/blob', 'app/db']);
    expect(await store.listSecrets('app')).toEqual(['blob', 'db']);
    await store.deleteSecret('app/blob');
    await expectRejection(store.deleteSecret('app/blob'), 'ERR_SECRET_NOT_FOUND');
    await expectRejection(store.getSecret('app/blob'), 'ERR_SECRET_NOT_FOUND');
    await expectRejection(
      store.updateSecret('app/none', { type: 'text', bytes: Buffer.from('x') }),
      'ERR_SECRET_NOT_FOUND',
    );
    await expectRejection(store.getSecret('../etc'), 'ERR_SECRET_PATH_INVALID');
    await expectRejection(
      store.createSecret('big', { type: 'binary', bytes: new Uint8Array(1_047_553) }),
      'ERR_SECRET_TOO_LARGE',
    );
  });

  it('reopens the same data directory, auto-unsealed, and holds the directory lock while open', async () => {
    const dataDir = await makeDataDir();
    const first = await openStore(dataDir);
    await first.createSecret('kept', { type: 'text', bytes: Buffer.from('value') });
    await expectRejection(openEmbeddedStore({ dataDir, log, lockWaitMs: 0 }), 'ERR_STORE_LOCKED');
    await first.close();
    await first.close();
    const second = await openStore(dataDir, false);
    expect((await second.sealStatus()).sealed).toBe(false);
    expect(Buffer.from((await second.getSecret('kept')).bytes).toString('utf8')).toBe('value');
  });

  it('does not initialize unless asked: secret calls fail with ERR_STORE_NOT_INITIALIZED', async () => {
    const store = await openStore(await makeDataDir(), false);
    expect((await store.sealStatus()).sealed).toBe(true);
    await expectRejection(store.getSecret('x'), 'ERR_STORE_NOT_INITIALIZED');
    await expectRejection(store.listSecrets(''), 'ERR_STORE_NOT_INITIALIZED');
  });
});
