// The `storage` location of the ZooKeeper backend:
//   zk://[user:password@]host:port[,host:port...][/root/path][?sessionTimeoutMs=N&operationTimeoutMs=N&juteMaxBufferBytes=N]
// The root path defaults to `/secrets-agent`. Credentials in the URL are accepted, but a separate
// `auth` keeps the password out of config files and argv; errors never echo it.
import { SecretsAgentError } from '../../core/errors.js';
import type { ZooKeeperBackendOptions } from './zk-options.js';

export const defaultZkRootPath = '/secrets-agent';

export type ZkStorageLocation = Omit<ZooKeeperBackendOptions, 'log'>;

const numericParameters = ['sessionTimeoutMs', 'operationTimeoutMs', 'juteMaxBufferBytes'] as const;

// Parses a `zk://` location; `auth` (user:password) wins over credentials in the URL. Throws ERR_CONFIG_INVALID.
export function parseZkStorageUrl(location: string, auth?: string): ZkStorageLocation {
  const match = /^zk:\/\/(?:([^@/?#]*)@)?([^/?#]+)(\/[^?#]*)?(?:\?([^#]*))?$/i.exec(location);
  if (match === null) throw invalid(location, 'expected `zk://[user:password@]host:port[,host:port...][/root/path]`');
  const [, userInfo, hosts = '', path, query] = match;
  let urlAuth: string | undefined;
  if (userInfo !== undefined) {
    try {
      urlAuth = decodeURIComponent(userInfo);
    } catch {
      throw invalid(location, 'the credentials are not valid percent-encoding');
    }
  }
  const parsed: { -readonly [K in keyof ZkStorageLocation]: ZkStorageLocation[K] } = {
    connectionString: hosts,
    rootPath: path === undefined || path === '/' ? defaultZkRootPath : path,
  };
  const credentials = auth ?? urlAuth;
  if (credentials !== undefined) parsed.auth = credentials;
  for (const [name, value] of new URLSearchParams(query ?? '')) {
    const known = numericParameters.find((candidate) => candidate === name);
    if (known === undefined)
      throw invalid(location, `unknown parameter \`${name}\` (known: ${numericParameters.join(', ')})`);
    if (!/^\d{1,10}$/.test(value)) throw invalid(location, `\`${name}\` must be a non-negative integer`);
    parsed[known] = Number(value);
  }
  return parsed;
}

function invalid(location: string, problem: string): SecretsAgentError {
  const shown = location.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@?#]*@/i, '$1***@');
  return new SecretsAgentError(
    'ERR_CONFIG_INVALID',
    `Expected \`storage\` to be a ZooKeeper URL, got \`${shown.slice(0, 200)}\`: ${problem}`,
    {
      details: { storage: shown },
    },
  );
}
