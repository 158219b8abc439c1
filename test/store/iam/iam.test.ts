import { generateKeyPairSync } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createIam } from '../../../src/store/iam/iam.js';
import type { StorageBackend } from '../../../src/store/storage/backend.js';
import { canaryValue } from '../../helpers/canary.js';
import { capturedLogLines, createTestLogger } from '../../helpers/log-capture.js';
import { call } from './support/http.js';
import { openTestStorage, startIamServer, type IamTestServer } from './support/iam-server.js';

// The same storage without change events: an instance on it learns only what it reads itself.
function withoutWatch(storage: StorageBackend): StorageBackend {
  return new Proxy(storage, {
    get(target, property) {
      if (property === 'watch') return () => () => undefined;
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('IAM records in storage', () => {
  let server: IamTestServer;

  beforeAll(async () => {
    server = await startIamServer();
    await server.iam.createUser({ uid: 'ann', password: canaryValue, description: 'Ann' });
    await server.iam.createUser({ uid: 'ben', password: canaryValue });
    await server.iam.grant({ uid: 'ann', rid: 'dcos:secrets:default:/ann/*', action: 'full' }, { createAcl: true });
  });

  afterAll(async () => {
    await server.close();
  });

  it('keeps plain JSON records under iam/: accounts, ACLs, grants, the signing key', async () => {
    const keys = await server.storage.list('iam');
    expect(keys).toContain('iam/accounts/ann');
    expect(keys).toContain('iam/signing-key');
    expect(keys.filter((key) => key.startsWith('iam/acls/'))).toHaveLength(1);
    expect(keys.filter((key) => key.startsWith('iam/grants/ann/'))).toHaveLength(1);
    const grant = await server.storage.get(keys.find((key) => key.startsWith('iam/grants/ann/')) ?? '');
    expect(JSON.parse(Buffer.from(grant?.value ?? []).toString())).toEqual({
      format: 1,
      rid: 'dcos:secrets:default:/ann/*',
      uid: 'ann',
      action: 'full',
      // The account it was granted to: a later account of the same uid does not inherit it.
      accountEpoch: server.iam.getAccount('ann')?.epoch,
    });
  });

  it('stores scrypt hashes with a salt per user, never the password', async () => {
    const records = await Promise.all(
      ['ann', 'ben'].map(async (uid) =>
        JSON.parse(Buffer.from((await server.storage.get(`iam/accounts/${uid}`))?.value ?? []).toString()),
      ),
    );
    for (const record of records)
      expect(record.passwordHash).toMatchObject({ algorithm: 'scrypt', N: 32768, r: 8, p: 3 });
    expect(records[0].passwordHash.salt).not.toBe(records[1].passwordHash.salt);
    expect(records[0].passwordHash.hash).not.toBe(records[1].passwordHash.hash);
    for (const file of await filesUnder(server.dir ?? '')) {
      expect((await readFile(file)).includes(canaryValue), file).toBe(false);
    }
  });

  it('the file backend holds the IAM data in 0600 files inside 0700 directories', async () => {
    const files = await filesUnder(server.dir ?? '');
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) expect(((await stat(file)).mode & 0o777).toString(8), file).toBe('600');
  });

  it('never logs the password or a token', async () => {
    const token = await server.iam.issueToken('ann');
    await call(server.url, '/acs/api/v1/auth/login', { method: 'POST', json: { uid: 'ann', password: canaryValue } });
    await call(server.url, '/secrets/v1/secret/default/ann/x', { token });
    const lines = capturedLogLines();
    expect(lines.some((line) => line.includes('login succeeded'))).toBe(true);
    expect(lines.filter((line) => line.includes(token.split('.')[2] ?? 'x'))).toEqual([]);
  });
});

describe('two IAM instances sharing one storage', () => {
  it('share the signing key, and see each other’s grants and deletions through watch', async () => {
    const { storage } = await openTestStorage();
    const log = createTestLogger();
    const first = await createIam({ storage, log });
    const second = await createIam({ storage, log });
    try {
      expect(second.jwks()).toEqual(first.jwks());
      await first.createUser({ uid: 'dora', password: 'dora-password' });
      await vi.waitFor(() => expect(second.getAccount('dora')).toBeDefined());
      const token = await first.issueToken('dora');
      const principal = await second.access.authenticate({ authorization: `token=${token}` });
      expect(principal).toEqual({ uid: 'dora', superuser: false });
      await expect(second.access.authorize(principal, 'dcos:secrets:default:/d/x', 'read')).rejects.toMatchObject({
        code: 'ERR_FORBIDDEN',
      });

      await first.grant({ uid: 'dora', rid: 'dcos:secrets:default:/d/*', action: 'read' }, { createAcl: true });
      await vi.waitFor(() => expect(second.isAllowed('dora', 'dcos:secrets:default:/d/x', 'read')).toBe(true));
      await second.access.authorize(principal, 'dcos:secrets:default:/d/x', 'read');

      await first.revoke({ uid: 'dora', rid: 'dcos:secrets:default:/d/*', action: 'read' });
      await vi.waitFor(() => expect(second.isAllowed('dora', 'dcos:secrets:default:/d/x', 'read')).toBe(false));

      await first.deleteAccount('dora');
      await vi.waitFor(() => expect(second.getAccount('dora')).toBeUndefined());
      await expect(second.access.authenticate({ authorization: `token=${token}` })).rejects.toMatchObject({
        code: 'ERR_AUTH_TOKEN_INVALID',
      });
    } finally {
      await first.close();
      await second.close();
      await second.close();
      await storage.close();
    }
  });

  it('a restarted instance keeps the signing key, so earlier tokens stay valid', async () => {
    const { storage } = await openTestStorage();
    const log = createTestLogger();
    const before = await createIam({ storage, log });
    await before.createServiceAccount({
      uid: 'svc',
      publicKeyPem: generateKeyPairSync('rsa', { modulusLength: 2048 })
        .publicKey.export({ type: 'spki', format: 'pem' })
        .toString(),
    });
    const token = await before.issueToken('svc');
    await before.close();
    const after = await createIam({ storage, log });
    expect(after.jwks()).toEqual(before.jwks());
    await expect(after.access.authenticate({ authorization: `Bearer ${token}` })).resolves.toEqual({
      uid: 'svc',
      superuser: false,
    });
    await after.close();
    await storage.close();
  });

  it('a create of the same uid that loses the race to another instance leaves the winner its grants', async () => {
    const { storage } = await openTestStorage();
    const log = createTestLogger();
    const first = await createIam({ storage, log });
    // An instance whose mirror has not yet heard of the account (its watch events are late).
    const lagging = await createIam({ storage: withoutWatch(storage), log });
    try {
      await first.createUser({ uid: 'fay', password: 'fay-password' });
      await first.grant({ uid: 'fay', rid: 'dcos:secrets:default:/fay/*', action: 'read' }, { createAcl: true });
      await expect(lagging.createUser({ uid: 'fay', password: 'other-password' })).rejects.toMatchObject({
        code: 'ERR_IAM_ACCOUNT_EXISTS',
      });
      expect(await storage.list('iam/grants/fay')).toHaveLength(1);
      expect(first.isAllowed('fay', 'dcos:secrets:default:/fay/db', 'read')).toBe(true);
    } finally {
      await first.close();
      await lagging.close();
      await storage.close();
    }
  });

  it('grants of a deleted account never pass to a new account of the same uid, even after an interrupted delete', async () => {
    const { storage } = await openTestStorage();
    const log = createTestLogger();
    const iam = await createIam({ storage, log });
    try {
      const rid = 'dcos:secrets:default:/gus/*';
      await iam.createUser({ uid: 'gus', password: 'gus-password' });
      await iam.grant({ uid: 'gus', rid, action: 'full' }, { createAcl: true });
      // A delete that stopped after the account record: the grant record is still stored.
      await storage.delete('iam/accounts/gus');
      await vi.waitFor(() => expect(iam.getAccount('gus')).toBeUndefined());
      // A grant stored before grants named their account's epoch, left the same way.
      await storage.put(
        'iam/grants/gus/legacy-read',
        Buffer.from('{"format":1,"rid":"dcos:secrets:default:/legacy/*","uid":"gus","action":"read"}'),
      );
      await vi.waitFor(async () => expect(await storage.list('iam/grants/gus')).toHaveLength(2));

      await iam.createUser({ uid: 'gus', password: 'new-gus-password' });
      expect(iam.isAllowed('gus', 'dcos:secrets:default:/gus/db', 'full')).toBe(false);
      expect(iam.isAllowed('gus', 'dcos:secrets:default:/legacy/db', 'read')).toBe(false);
      expect(iam.permissionsOf('gus').direct).toEqual([]);
      // The untagged one is removed; the tagged one stays, counting for nobody, until the uid is deleted.
      expect(await storage.list('iam/grants/gus')).toHaveLength(1);

      await iam.grant({ uid: 'gus', rid, action: 'full' });
      expect(iam.isAllowed('gus', 'dcos:secrets:default:/gus/db', 'full')).toBe(true);
      await iam.deleteAccount('gus');
      expect(await storage.list('iam/grants/gus')).toEqual([]);
    } finally {
      await iam.close();
      await storage.close();
    }
  });

  it('ignores a corrupt grant record (grants nothing) and keeps serving', async () => {
    const { storage } = await openTestStorage();
    const log = createTestLogger();
    const iam = await createIam({ storage, log });
    await iam.createUser({ uid: 'eve', password: 'eve-password' });
    await storage.put(
      'iam/grants/eve/0000-full',
      Buffer.from('{"format":1,"rid":"dcos:superuser","uid":"eve","action":"sudo"}'),
    );
    await vi.waitFor(() =>
      expect(
        capturedLogLines().some(
          (line) => line.includes('IAM record ignored') && line.includes('iam/grants/eve/0000-full'),
        ),
      ).toBe(true),
    );
    expect(iam.isAllowed('eve', 'dcos:superuser', 'full')).toBe(false);
    await iam.close();
    await storage.close();
  });
});

describe('createIam options', () => {
  it('issues tokens with the configured lifetime', async () => {
    const { storage } = await openTestStorage();
    const iam = await createIam({ storage, log: createTestLogger(), tokenLifetimeSeconds: 3600 });
    await iam.createUser({ uid: 'fay', password: 'fay-password' });
    const claims = JSON.parse(
      Buffer.from((await iam.issueToken('fay')).split('.')[1] ?? '', 'base64url').toString(),
    ) as { iat: number; exp: number };
    expect(claims.exp - claims.iat).toBe(3600);
    await iam.close();
    await storage.close();
  });

  it('refuses a bad token lifetime with the option message shape', async () => {
    const { storage } = await openTestStorage();
    await expect(createIam({ storage, log: createTestLogger(), tokenLifetimeSeconds: -1 })).rejects.toThrow(
      'Expected `tokenLifetimeSeconds` to be a positive integer, got `-1` (number)',
    );
    await storage.close();
  });
});
