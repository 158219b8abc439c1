// Preparing a unix socket path for a server: the parent directory (created 0700 when missing), and
// what is already at the path (a live socket of another daemon: refuse; a stale one: remove;
// anything else: refuse, never delete a file we did not create).
import { connect } from 'node:net';
import { lstat, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SecretsAgentError } from '../core/errors.js';

const probeTimeoutMs = 2000;
// sockaddr_un.sun_path is 108 bytes on Linux, NUL included.
const maxSocketPathBytes = 107;

// Makes `socketPath` free to bind, or throws saying why it is not.
export async function prepareSocketPath(socketPath: string): Promise<void> {
  if (!socketPath.startsWith('/')) {
    throw new SecretsAgentError(
      'ERR_CONFIG_INVALID',
      `Expected the status socket to be an absolute path, got ${JSON.stringify(socketPath)}`,
    );
  }
  if (Buffer.byteLength(socketPath) > maxSocketPathBytes) {
    throw new SecretsAgentError(
      'ERR_CONFIG_INVALID',
      `status socket path ${socketPath} is longer than ${maxSocketPathBytes} bytes (the unix socket limit)`,
    );
  }
  // Only a directory we create gets our mode; an existing one (e.g. /run/secrets-agent made by
  // systemd with RuntimeDirectoryMode=0700) is left as its owner set it.
  await mkdir(dirname(socketPath), { recursive: true, mode: 0o700 });
  await assertSafeParent(dirname(socketPath));
  const existing = await lstat(socketPath).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (existing === undefined) return;
  if (!existing.isSocket()) {
    throw new SecretsAgentError(
      'ERR_CONFIG_INVALID',
      `status socket path ${socketPath} exists and is not a socket; not replacing it`,
      { details: { socketPath } },
    );
  }
  if (await isSocketLive(socketPath)) {
    throw new SecretsAgentError('ERR_DAEMON_ALREADY_RUNNING', `another daemon is listening on ${socketPath}`, {
      details: { socketPath },
    });
  }
  await unlink(socketPath).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

// Whoever can write the directory can swap the socket for their own (and answer `status`), so it
// must be ours or root's, and not writable by others unless sticky (as /tmp is).
async function assertSafeParent(dir: string): Promise<void> {
  const info = await lstat(dir);
  const uid = process.getuid?.() ?? 0;
  const problem = !info.isDirectory()
    ? 'is not a directory (a symlink?)'
    : info.uid !== uid && info.uid !== 0
      ? `belongs to uid ${info.uid}, not to us (${uid}) or root`
      : (info.mode & 0o022) !== 0 && (info.mode & 0o1000) === 0
        ? `is writable by others (mode ${(info.mode & 0o7777).toString(8)}) without the sticky bit`
        : undefined;
  if (problem !== undefined) {
    throw new SecretsAgentError('ERR_CONFIG_INVALID', `status socket directory ${dir} ${problem}`, {
      details: { dir },
    });
  }
}

// True when something accepts connections on the socket; ECONNREFUSED means a leftover file.
export function isSocketLive(socketPath: string, timeoutMs = probeTimeoutMs): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path: socketPath });
    const finish = (live: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(live);
    };
    // A listener too busy to accept within the timeout is still alive: do not steal its path.
    const timer = setTimeout(() => finish(true), timeoutMs);
    socket.once('connect', () => finish(true));
    socket.once('error', (error: NodeJS.ErrnoException) =>
      finish(error.code !== 'ECONNREFUSED' && error.code !== 'ENOENT'),
    );
  });
}
