// Issue 12.9: a full disk under the file backend. The client must be told ENOSPC (507
// ERR_STORAGE_FULL), nothing half-written may stay behind (no temp record, no LOCK.new-*), and
// once space is back the store works on. A real 256 KiB tmpfs mounted by the test (we run as root).
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSecretsAgentError } from '../../../src/core/errors.js';
import { createBootstrapAccess } from '../../../src/store/http/bootstrap-access.js';
import { createStoreServer, type StoreServer } from '../../../src/store/server.js';
import type { StorageBackend } from '../../../src/store/storage/backend.js';
import { openStorage } from '../../../src/store/storage/open-storage.js';
import { createTestLogger } from '../../helpers/log-capture.js';
import { getTestPgpKeyPair } from '../../helpers/pgp-keypair.js';
import { rawRequest } from '../support/store-server.js';
import { makeDataDir } from '../support/temp-storage.js';

const token = 'disk-full-token-0123456789';
const auth = { authorization: `token=${token}` };
const secrets = '/secrets/v1/secret/default';
let mountPoint = '';
let mounted = false;
let mountError = '';

beforeAll(async () => {
  mountPoint = join(await makeDataDir('disk-full-'), 'tmpfs');
  await mkdir(mountPoint);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', mountPoint], { stdio: 'pipe' });
    mounted = true;
  } catch (error) {
    mountError = String((error as { stderr?: Buffer }).stderr ?? error);
  }
});

afterAll(() => {
  if (mounted) execFileSync('umount', [mountPoint]);
});

async function listTree(dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) names.push(entry.name);
  return names;
}

async function fillDisk(): Promise<string> {
  const filler = join(mountPoint, 'filler');
  await writeFile(filler, Buffer.alloc(512 * 1024)).catch((error: unknown) => {
    if ((error as { code?: unknown }).code !== 'ENOSPC') throw error;
  });
  return filler;
}

describe('issue 12.9: disk full under the file backend', () => {
  it('answers 507 ERR_STORAGE_FULL naming ENOSPC, leaves no temp or LOCK.new-* file, and recovers', async (context) => {
    if (!mounted) context.skip(`cannot mount a tmpfs here (needs root): ${mountError}`);
    const log = createTestLogger();
    const dataDir = join(mountPoint, 'data');
    let storage: StorageBackend = await openStorage({ dataDir, log });
    let server: StoreServer = await createStoreServer({
      storage,
      access: createBootstrapAccess(token),
      log,
      listen: { host: '127.0.0.1', port: 0 },
      initialize: { keyPair: await getTestPgpKeyPair() },
      closeGraceMs: 100,
    });
    try {
      const binary = { ...auth, 'content-type': 'application/octet-stream' };
      const small = await rawRequest(server.url, {
        method: 'PUT',
        path: `${secrets}/fits`,
        headers: binary,
        body: Buffer.alloc(16 * 1024, 1),
      });
      expect(small.status).toBe(201);
      const big = await rawRequest(server.url, {
        method: 'PUT',
        path: `${secrets}/too/big`,
        headers: binary,
        body: Buffer.alloc(400 * 1024, 2),
      });
      expect(big.status, big.body.toString('utf8')).toBe(507);
      expect(big.json).toMatchObject({ code: 'ERR_STORAGE_FULL' });
      expect((big.json as { description: string }).description).toContain('no space left on device (ENOSPC)');
      expect((await rawRequest(server.url, { path: `${secrets}/too/big`, headers: auth })).status).toBe(404);
      expect((await rawRequest(server.url, { path: `${secrets}/fits`, headers: auth })).status).toBe(200);
      expect((await listTree(dataDir)).filter((name) => name.startsWith('.tmp-') || name.startsWith('LOCK.'))).toEqual(
        [],
      );
    } finally {
      await server.close();
      await storage.close();
    }

    // Opening on a full disk: the lock cannot be written; the error says so and nothing stays behind.
    const filler = await fillDisk();
    const refused = await openStorage({ dataDir, log }).then(
      async (opened) => {
        await opened.close();
        return undefined;
      },
      (error: unknown) => error,
    );
    expect(isSecretsAgentError(refused, 'ERR_STORAGE_FULL'), String(refused)).toBe(true);
    expect((refused as Error).message).toContain('ENOSPC');
    expect((await listTree(dataDir)).filter((name) => name.startsWith('LOCK'))).toEqual([]);

    // Space back: the store opens and serves what was acknowledged before.
    await rm(filler);
    storage = await openStorage({ dataDir, log });
    server = await createStoreServer({
      storage,
      access: createBootstrapAccess(token),
      log,
      listen: { host: '127.0.0.1', port: 0 },
      initialize: { keyPair: await getTestPgpKeyPair() },
      closeGraceMs: 100,
    });
    try {
      expect((await rawRequest(server.url, { path: `${secrets}/fits`, headers: auth })).status).toBe(200);
    } finally {
      await server.close();
      await storage.close();
    }
  });
});
