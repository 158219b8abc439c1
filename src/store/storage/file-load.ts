// Reads a file storage directory at open: every record into memory, crash leftovers (temp files,
// empty folders) removed, damaged or misplaced records reported instead of served.
import { readdir, readFile, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../core/log.js';
import { isTempFileName } from './atomic-file.js';
import { isLockFileName } from './dir-lock.js';
import { decodeRecord } from './file-record.js';
import { assertStorageKey, decodeName, encodeKeyPath } from './key-codec.js';

export interface LoadedRecord {
  readonly version: number;
  readonly value: Uint8Array;
}

export interface CorruptRecord {
  /** Path of the record file relative to the storage directory. */
  readonly file: string;
  /** The key the file's location names; undefined under a hashed (long) segment. */
  readonly key: string | undefined;
  readonly problem: string;
}

export interface LoadedStorage {
  readonly records: Map<string, LoadedRecord>;
  readonly corrupt: CorruptRecord[];
  /** Folder paths (relative, `/`-joined encoded names) that exist after loading. */
  readonly folders: Set<string>;
  readonly maxVersion: number;
  readonly removedTempFiles: number;
}

const readConcurrency = 32;

// Loads every record under `root`; the caller holds the directory lock, so nothing changes meanwhile.
export async function loadFileStorage(root: string, log: Logger): Promise<LoadedStorage> {
  const loaded: LoadedStorage & { maxVersion: number; removedTempFiles: number } = {
    records: new Map(),
    corrupt: [],
    folders: new Set(),
    maxVersion: 0,
    removedTempFiles: 0,
  };
  await loadFolder(root, '', [], loaded, log);
  return loaded;
}

// Returns how many entries the folder keeps, so an empty one can be removed by its parent.
async function loadFolder(
  root: string,
  relative: string,
  segments: Array<string | undefined>,
  loaded: LoadedStorage & { maxVersion: number; removedTempFiles: number },
  log: Logger,
): Promise<number> {
  const absolute = join(root, relative);
  const entries = await readdir(absolute, { withFileTypes: true });
  let kept = 0;
  const files: Array<{ file: string; segment: string | undefined }> = [];
  for (const entry of entries) {
    const file = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (isTempFileName(entry.name)) {
      await rm(join(root, file), { force: true, recursive: true });
      loaded.removedTempFiles += 1;
      continue;
    }
    kept += 1;
    if (relative === '' && isLockFileName(entry.name)) continue;
    const decoded = decodeName(entry.name);
    if (decoded?.kind === 'folder' && entry.isDirectory()) {
      const remaining = await loadFolder(root, file, [...segments, decoded.segment], loaded, log);
      if (remaining === 0) {
        await rmdir(join(root, file));
        kept -= 1;
      } else {
        loaded.folders.add(file);
      }
    } else if (decoded?.kind === 'value' && entry.isFile()) {
      files.push({ file, segment: decoded.segment });
    } else {
      log.warn({ dir: root, file }, 'file storage: ignoring an entry that is not a record');
    }
  }
  for (let start = 0; start < files.length; start += readConcurrency) {
    const batch = files.slice(start, start + readConcurrency);
    await Promise.all(batch.map(({ file, segment }) => loadRecord(root, file, [...segments, segment], loaded)));
  }
  return kept;
}

async function loadRecord(
  root: string,
  file: string,
  segments: Array<string | undefined>,
  loaded: LoadedStorage & { maxVersion: number },
): Promise<void> {
  const locationKey = segments.every((segment) => segment !== undefined) ? segments.join('/') : undefined;
  const decoded = decodeRecord(await readFile(join(root, file)));
  let problem = 'problem' in decoded ? decoded.problem : undefined;
  if (!('problem' in decoded)) {
    try {
      assertStorageKey(decoded.key);
      const path = encodeKeyPath(decoded.key);
      if ([...path.folders, path.file].join('/') !== file)
        problem = 'the key in its header belongs to another file (moved or copied record)';
    } catch {
      problem = 'the key in its header is not a valid storage key';
    }
  }
  if (problem !== undefined || 'problem' in decoded) {
    loaded.corrupt.push({ file, key: locationKey, problem: problem ?? 'unknown' });
    return;
  }
  loaded.records.set(decoded.key, { version: decoded.version, value: decoded.value });
  if (decoded.version > loaded.maxVersion) loaded.maxVersion = decoded.version;
}
