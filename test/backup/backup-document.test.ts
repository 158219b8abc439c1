import { describe, expect, it } from 'vitest';
import { backupEntryPath, locateBackupEntry } from '../../src/backup/index.js';

describe('backup entry locations (dcos-migrate backup.py)', () => {
  it('joins path and key, the root having an empty path', () => {
    expect(backupEntryPath({ path: 'folder', key: 'sub/key' })).toBe('folder/sub/key');
    expect(backupEntryPath({ path: '', key: 'key1' })).toBe('key1');
  });

  it('files keys below an exported folder under it, and a single exported secret under its parent', () => {
    expect(locateBackupEntry('folder', 'sub/key4')).toEqual({ path: 'folder', key: 'sub/key4' });
    expect(locateBackupEntry('', 'key1')).toEqual({ path: '', key: 'key1' });
    expect(locateBackupEntry('folder/sub/key4', '')).toEqual({ path: 'folder/sub', key: 'key4' });
    expect(locateBackupEntry('key1', '')).toEqual({ path: '', key: 'key1' });
  });
});
