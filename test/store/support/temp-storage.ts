import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StorageBackend } from '../../../src/store/storage/backend.js';
import { openStorage } from '../../../src/store/storage/open-storage.js';

// A fresh data directory under the run's scratch root.
export async function makeDataDir(prefix = 'store-'): Promise<string> {
  return mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), prefix));
}

// Real file storage in a fresh data directory (`<dataDir>/storage`).
export async function openTempStorage(dataDir?: string): Promise<{ storage: StorageBackend; dataDir: string }> {
  const dir = dataDir ?? (await makeDataDir());
  return { storage: await openStorage({ dataDir: dir }), dataDir: dir };
}
