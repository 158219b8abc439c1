// The backup file of `secret export` / `secret import`: the shape dcos-migrate's backup.py writes
// (docs/wire-formats.md#backup-format): `{"cluster_id"?, "secrets": [{"path", "key", "type", "value"}]}`, where `path`
// is the exported folder, `key` the secret below it, `type` `text` or `binary`, and `value` the
// bytes in base64 (text too, so a glance at the file shows no value). Text entries may also carry
// the fields a GET returned (`description`, `labels`, `author`, `created`, `updated`).
import type { SecretRecord } from '../core/secrets-api.js';

// A stored secret's fields, but `path` is the exported folder and `key` the secret below it.
// `author`, `created` and `updated` are informational: the store sets its own on import.
export interface BackupEntry extends Omit<SecretRecord, 'path'> {
  /** The folder the entry was exported from ('' = the root). */
  readonly path: string;
  /** The secret's path below `path`; never empty. */
  readonly key: string;
}

export interface BackupDocument {
  /** dcos-migrate writes the DC/OS cluster id; kept when present, never required. */
  readonly clusterId?: string;
  readonly secrets: readonly BackupEntry[];
}

// The secret path an entry restores to: `path/key`, or `key` alone for the root.
export function backupEntryPath(entry: Pick<BackupEntry, 'path' | 'key'>): string {
  return [entry.path, entry.key].filter((part) => part !== '').join('/');
}

// Where a secret found while exporting `folder` goes in the file: keys below the folder keep it as
// `path`; the folder's own secret (a path can be a secret and a folder) is filed under its parent,
// as backup.py files a single exported secret.
export function locateBackupEntry(folder: string, relativeKey: string): { path: string; key: string } {
  if (relativeKey !== '') return { path: folder, key: relativeKey };
  const cut = folder.lastIndexOf('/');
  return cut === -1 ? { path: '', key: folder } : { path: folder.slice(0, cut), key: folder.slice(cut + 1) };
}
