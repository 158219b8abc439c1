// `secret export`: what dcos-migrate's backup.py reads, from any SecretsApi (HTTP or embedded).
// A folder exports the secrets below it; a path with nothing below it exports that one secret.
import { SecretsAgentError } from '../../core/errors.js';
import type { SecretRecord, SecretsApi } from '../../core/secrets-api.js';
import { locateBackupEntry, type BackupDocument, type BackupEntry } from '../../backup/index.js';
import { confinePath } from '../../client/base-path.js';

// Reads every secret under `folder` (relative to `basePath`; '' = all) into a backup document.
export async function exportSecrets(api: SecretsApi, basePath: string, requested: string): Promise<BackupDocument> {
  const folder = requested.endsWith('/') ? requested.slice(0, -1) : requested;
  const target = confinePath(basePath, folder, { listing: true });
  const keys = await api.listSecrets(target);
  if (keys.length === 0) {
    if (folder === '') return { secrets: [] };
    // Nothing below: the path names one secret, or nothing (ERR_SECRET_NOT_FOUND from the store).
    return { secrets: [toEntry(locateBackupEntry(folder, ''), await api.getSecret(target))] };
  }
  const secrets: BackupEntry[] = [];
  for (const key of keys) {
    const record = await api.getSecret(target === '' ? key : `${target}/${key}`);
    secrets.push(toEntry(locateBackupEntry(folder, key), record));
  }
  return { secrets };
}

function toEntry(location: { path: string; key: string }, record: SecretRecord): BackupEntry {
  if (record.type !== 'text' && record.type !== 'binary')
    throw new SecretsAgentError('ERR_INTERNAL', `Secret \`${record.path}\` has an unknown type`);
  // Description and labels travel with text secrets only (the octet-stream form has no place for them).
  const text = record.type === 'text';
  return {
    ...location,
    type: record.type,
    bytes: record.bytes,
    ...(text && record.description !== undefined ? { description: record.description } : {}),
    ...(text && record.labels !== undefined ? { labels: record.labels } : {}),
    ...(record.author === undefined ? {} : { author: record.author }),
    ...(record.created === undefined ? {} : { created: record.created }),
    ...(record.updated === undefined ? {} : { updated: record.updated }),
  };
}
