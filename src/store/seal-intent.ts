// The persisted seal intent of one instance: `{"sealed":true}` after a deliberate seal. Absent
// means "not sealed on purpose", so a store sealed only by a failure or a restart auto-unseals.
import { SecretsAgentError } from '../core/errors.js';
import type { StorageBackend } from './storage/backend.js';
import { sealIntentKey } from './store-keys.js';

// True when this instance was sealed on purpose.
export async function readSealIntent(storage: StorageBackend, store: string, instanceId: string): Promise<boolean> {
  const entry = await storage.get(sealIntentKey(store, instanceId));
  if (entry === undefined) return false;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(entry.value).toString('utf8'));
  } catch {
    value = undefined;
  }
  const sealed = typeof value === 'object' && value !== null ? (value as { sealed?: unknown }).sealed : undefined;
  if (typeof sealed !== 'boolean') {
    throw new SecretsAgentError(
      'ERR_STORE_CORRUPT',
      `seal intent of instance \`${instanceId}\` (store \`${store}\`) is malformed`,
    );
  }
  return sealed;
}

export async function writeSealIntent(
  storage: StorageBackend,
  store: string,
  instanceId: string,
  sealed: boolean,
  at: Date,
): Promise<void> {
  await storage.put(
    sealIntentKey(store, instanceId),
    Buffer.from(JSON.stringify({ sealed, at: at.toISOString() }), 'utf8'),
  );
}
