// File watching (the only importer of chokidar): settled, debounced change reports for a directory.
export {
  watchDirectory,
  defaultDebounceMs,
  type DirectoryWatch,
  type WatchDirectoryOptions,
} from './watch-directory.js';
