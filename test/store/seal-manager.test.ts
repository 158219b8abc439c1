import { afterEach, describe, expect, it } from 'vitest';
import { decryptPgpMessage, readPgpPrivateKey } from '../../src/crypto/openpgp.js';
import type { StorageBackend } from '../../src/store/storage/backend.js';
import { openSealManager, type SealManager, type SealManagerOptions } from '../../src/store/seal-manager.js';
import { getTestPgpKeyPair } from '../helpers/pgp-keypair.js';
import { createTestLogger } from '../helpers/log-capture.js';
import { openTempStorage } from './support/temp-storage.js';
import { expectRejection } from '../helpers/rejection.js';

const log = createTestLogger();
const opened: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});

async function storage(): Promise<StorageBackend> {
  const { storage: backend } = await openTempStorage();
  opened.push(backend);
  return backend;
}

async function open(backend: StorageBackend, options: Partial<SealManagerOptions> = {}): Promise<SealManager> {
  const manager = await openSealManager({ storage: backend, log, ...options });
  opened.push(manager);
  return manager;
}

async function bootstrapOptions(): Promise<Partial<SealManagerOptions>> {
  return { initialize: { keyPair: await getTestPgpKeyPair() } };
}

async function unsealKeyOf(manager: SealManager): Promise<string> {
  const pair = await getTestPgpKeyPair();
  const message = Buffer.from(manager.initInfo().keys[0] ?? '', 'hex');
  return Buffer.from(
    await decryptPgpMessage(new Uint8Array(message), await readPgpPrivateKey(pair.privateKeyArmored, 'test')),
  ).toString('ascii');
}

describe('seal manager', () => {
  it('starts uninitialized and sealed without init options', async () => {
    const manager = await open(await storage());
    expect(manager.initialized).toBe(false);
    expect(manager.status()).toEqual({ sealed: true, threshold: 0, shares: 0, progress: 0 });
    expect(manager.initInfo()).toEqual({ initialized: false, keys: [], pgpFingerprints: [] });
    await expectRejection(
      Promise.resolve().then(() => manager.requireKeyring()),
      'ERR_STORE_NOT_INITIALIZED',
    );
    await expectRejection(manager.seal(), 'ERR_STORE_NOT_INITIALIZED');
    await expectRejection(manager.autoUnseal(), 'ERR_STORE_NOT_INITIALIZED');
  });

  it('bootstrap init: unsealed at once, the PGP message holds the hex unseal key, restart auto-unseals', async () => {
    const backend = await storage();
    const pair = await getTestPgpKeyPair();
    const first = await open(backend, await bootstrapOptions());
    expect(first.status()).toEqual({ sealed: false, threshold: 1, shares: 1, progress: 0 });
    expect(first.initInfo().pgpFingerprints).toEqual([pair.fingerprint]);
    expect(first.canAutoUnseal()).toBe(true);
    const unsealKey = await unsealKeyOf(first);
    expect(unsealKey).toMatch(/^[0-9a-f]{64}$/);
    // The private key is kept in storage (as DC/OS does), under its fingerprint.
    const stored = await backend.get(`store/default/pgp-private-keys/${pair.fingerprint}`);
    expect(Buffer.from(stored?.value ?? []).toString('utf8')).toBe(pair.privateKeyArmored);
    await first.close();

    const second = await open(backend, await bootstrapOptions());
    expect(second.sealed).toBe(false);
    // The same store, not a second init.
    expect(second.initInfo()).toEqual(first.initInfo());
  });

  it('seal intent survives a restart; unseal with the key clears it', async () => {
    const backend = await storage();
    const first = await open(backend, await bootstrapOptions());
    const unsealKey = await unsealKeyOf(first);
    expect(await first.seal()).toEqual({ sealed: true, threshold: 1, shares: 1, progress: 0 });
    await expectRejection(first.seal(), 'ERR_STORE_ALREADY_SEALED');
    await expectRejection(
      Promise.resolve().then(() => first.requireKeyring()),
      'ERR_STORE_SEALED',
    );
    expect(await first.sealIntent()).toBe(true);
    await first.close();

    const second = await open(backend);
    expect(second.sealed).toBe(true);
    await expectRejection(second.unseal('00'.repeat(32)), 'ERR_UNSEAL_KEY_INVALID');
    await expectRejection(second.unseal('not hex'), 'ERR_UNSEAL_KEY_INVALID');
    expect(second.sealed).toBe(true);
    expect(await second.sealIntent()).toBe(true);
    expect(await second.unseal(`${unsealKey.toUpperCase()}\n`)).toEqual({
      sealed: false,
      threshold: 1,
      shares: 1,
      progress: 0,
    });
    expect(await second.sealIntent()).toBe(false);
    await second.close();

    const third = await open(backend);
    expect(third.sealed).toBe(false);
  });

  it('auto-unseal after a deliberate seal, and unseal of an unsealed store checks the key', async () => {
    const manager = await open(await storage(), await bootstrapOptions());
    const unsealKey = await unsealKeyOf(manager);
    await manager.seal();
    expect((await manager.autoUnseal()).sealed).toBe(false);
    expect(await manager.sealIntent()).toBe(false);
    await expectRejection(manager.unseal('ab'.repeat(32)), 'ERR_UNSEAL_KEY_INVALID');
    expect(manager.sealed).toBe(false);
    expect((await manager.unseal(unsealKey)).sealed).toBe(false);
  });

  it('keeps seal intent per instance on shared storage', async () => {
    const backend = await storage();
    const a = await open(backend, { ...(await bootstrapOptions()), instanceId: 'master-1' });
    const b = await open(backend, { instanceId: 'master-2' });
    expect(b.sealed).toBe(false);
    await a.seal();
    expect(b.sealed).toBe(false);
    await a.close();
    await b.close();
    expect((await open(backend, { instanceId: 'master-1' })).sealed).toBe(true);
    expect((await open(backend, { instanceId: 'master-2' })).sealed).toBe(false);
  });

  it('refuses a second init, shares/threshold other than 1, and bad keys', async () => {
    const manager = await open(await storage());
    await expectRejection(manager.initialize({ shares: 3, threshold: 2 }), 'ERR_STORE_INIT_INVALID');
    await expectRejection(manager.initialize({ pgpPublicKeys: ['not a key'] }), 'ERR_STORE_INIT_INVALID');
    const pair = await getTestPgpKeyPair();
    await expectRejection(
      manager.initialize({ pgpPublicKeys: [pair.publicKeyArmored, pair.publicKeyArmored] }),
      'ERR_STORE_INIT_INVALID',
    );
    expect(manager.initialized).toBe(false);
    await manager.initialize({ keyPair: pair, shares: 1, threshold: 1 });
    await expectRejection(manager.initialize({ keyPair: pair }), 'ERR_STORE_ALREADY_INITIALIZED');
  });

  it('operator key: no private key stored, sealed after init and after restart', async () => {
    const backend = await storage();
    const pair = await getTestPgpKeyPair();
    const manager = await open(backend);
    const info = await manager.initialize({ pgpPublicKeys: [pair.publicKeyArmored] });
    expect(info.pgpFingerprints).toEqual([pair.fingerprint]);
    expect(manager.sealed).toBe(true);
    expect(manager.canAutoUnseal()).toBe(false);
    expect(await backend.list('store/default')).toEqual(['store/default/init']);
    await expectRejection(manager.autoUnseal(), 'ERR_UNSEAL_NO_STORED_KEY');
    await manager.close();

    const restarted = await open(backend);
    expect(restarted.sealed).toBe(true);
    await restarted.unseal(await unsealKeyOf(restarted));
    expect(restarted.sealed).toBe(false);
  });

  it('validates instance ids', async () => {
    await expectRejection(openSealManager({ storage: await storage(), log, instanceId: '../x' }), 'ERR_CONFIG_INVALID');
  });
});
