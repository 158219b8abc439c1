// Picks and opens the storage backend named by the `storage` location (default: files under the data directory).
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SecretsAgentError } from '../../core/errors.js';
import { createSilentLogger, type Logger } from '../../core/log.js';
import { describeValue } from '../../config/describe-value.js';
import type { StorageBackend } from './backend.js';
import { openFileBackend } from './file-backend.js';
import { parseZkStorageUrl } from './zk-url.js';

export interface OpenStorageOptions {
  /** The store's data directory; the file backend lives in `<dataDir>/storage`. */
  readonly dataDir?: string | undefined;
  /** `file:` (default: `<dataDir>/storage`), `file:///absolute/dir`, or `zk://host:port[,host:port...][/root/path]` (see zk-url.ts). */
  readonly storage?: string | undefined;
  /** `user:password` for ZooKeeper digest auth; overrides credentials in a `zk://` URL (keeps the password out of it). */
  readonly zookeeperAuth?: string | undefined;
  readonly log?: Logger | undefined;
  /** File storage: how long to wait for another process to let go of the directory (default 0). */
  readonly lockWaitMs?: number | undefined;
}

// Opens the configured storage backend; throws ERR_CONFIG_INVALID for an unusable location.
export async function openStorage(options: OpenStorageOptions): Promise<StorageBackend> {
  const location = options.storage ?? 'file:';
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(location)?.[1]?.toLowerCase();
  const log = options.log === undefined ? {} : { log: options.log };
  switch (scheme) {
    case 'file':
      return openFileBackend({
        dir: resolveFileDir(location, options.dataDir),
        ...log,
        ...(options.lockWaitMs === undefined ? {} : { lockWaitMs: options.lockWaitMs }),
      });
    case 'zk': {
      const config = parseZkStorageUrl(location, options.zookeeperAuth);
      // Loaded only here: the ZooKeeper client costs ~40-70 ms of start-up that a file store
      // (`run --data-dir`, issue 13) does not need.
      const { openZooKeeperBackend } = await import('./zk-backend.js');
      return openZooKeeperBackend({
        ...config,
        log: options.log ?? createSilentLogger(),
      });
    }
    default:
      throw new SecretsAgentError(
        'ERR_CONFIG_INVALID',
        `Expected \`storage\` to be a \`file:\` or \`zk://\` URL, got \`${JSON.stringify(hideUserInfo(location)).slice(0, 200)}\` (unknown scheme)`,
        { details: { storage: hideUserInfo(location) } },
      );
  }
}

function resolveFileDir(location: string, dataDir: string | undefined): string {
  if (location.toLowerCase() === 'file:') {
    if (typeof dataDir !== 'string' || dataDir === '') {
      throw new SecretsAgentError(
        'ERR_CONFIG_INVALID',
        `Expected \`dataDir\` to be a non-empty string when \`storage\` is \`file:\`, got ${describeValue(dataDir)}`,
      );
    }
    return join(dataDir, 'storage');
  }
  let dir: string;
  try {
    dir = fileURLToPath(location);
  } catch (error) {
    throw new SecretsAgentError(
      'ERR_CONFIG_INVALID',
      `Expected \`storage\` to be \`file:\` or \`file:///absolute/dir\`, got ${describeValue(location)}`,
      { cause: error },
    );
  }
  if (!isAbsolute(dir))
    throw new SecretsAgentError(
      'ERR_CONFIG_INVALID',
      `Expected \`storage\` to name an absolute directory, got ${describeValue(location)}`,
    );
  return dir;
}

// `zk://user:password@host` must not put the password into an error message.
function hideUserInfo(location: string): string {
  return location.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}
