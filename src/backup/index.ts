// Backup files for `secret export` / `secret import` (the dcos-migrate backup shape): pure parse and serialize.
export { backupEntryPath, locateBackupEntry, type BackupDocument, type BackupEntry } from './backup-document.js';
export { parseBackup, type ParseBackupOptions } from './parse-backup.js';
export { serializeBackup } from './serialize-backup.js';
