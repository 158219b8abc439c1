// Writes a backup document as backup.py does (`json.dump(..., indent=2, sort_keys=True)`), so
// files from either tool diff cleanly. The caller writes the text to a 0600 file.
import type { BackupDocument, BackupEntry } from './backup-document.js';

// The file's text, ending in a newline.
export function serializeBackup(document: BackupDocument): string {
  const top: Record<string, unknown> = {
    ...(document.clusterId === undefined ? {} : { cluster_id: document.clusterId }),
    secrets: document.secrets.map(toJsonEntry),
  };
  return `${JSON.stringify(sortKeys(top), null, 2)}\n`;
}

function toJsonEntry(entry: BackupEntry): Record<string, unknown> {
  return sortKeys({
    path: entry.path,
    key: entry.key,
    type: entry.type,
    value: Buffer.from(entry.bytes.buffer, entry.bytes.byteOffset, entry.bytes.byteLength).toString('base64'),
    ...(entry.description === undefined ? {} : { description: entry.description }),
    ...(entry.labels === undefined ? {} : { labels: [...entry.labels] }),
    ...(entry.author === undefined ? {} : { author: entry.author }),
    ...(entry.created === undefined ? {} : { created: entry.created }),
    ...(entry.updated === undefined ? {} : { updated: entry.updated }),
  });
}

function sortKeys(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
