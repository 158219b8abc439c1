// Reads the daemon's status API over its unix socket (node:http with socketPath: one local
// request, no pool, so not worth undici). Answers are parsed, never trusted as typed.
import { request } from 'node:http';
import { SecretsAgentError } from '../core/errors.js';
import { parseDaemonStatus } from './status-parse.js';
import type { DaemonStatus } from './status-types.js';

export interface StatusClientOptions {
  readonly socketPath: string;
  /** Default 5000. */
  readonly timeoutMs?: number;
}

const defaultTimeoutMs = 5000;
const maxResponseBytes = 64 * 1024 * 1024;

// GET /status from the daemon, parsed.
export async function fetchDaemonStatus(options: StatusClientOptions): Promise<DaemonStatus> {
  const body = await getFromDaemon(options, '/status');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new SecretsAgentError(
      'ERR_HTTP_UNEXPECTED',
      `the daemon at ${options.socketPath} answered /status with invalid JSON`,
      { cause: error },
    );
  }
  return parseDaemonStatus(json);
}

// GET /metrics from the daemon: Prometheus text.
export function fetchDaemonMetrics(options: StatusClientOptions): Promise<string> {
  return getFromDaemon(options, '/metrics');
}

function getFromDaemon(options: StatusClientOptions, path: '/status' | '/metrics'): Promise<string> {
  const { socketPath } = options;
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  return new Promise((resolve, reject) => {
    const fail = (error: SecretsAgentError): void => {
      clearTimeout(timer);
      req.destroy();
      reject(error);
    };
    const req = request(
      {
        socketPath,
        path,
        method: 'GET',
        agent: false,
        headers: { Accept: path === '/status' ? 'application/json' : 'text/plain' },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxResponseBytes)
            fail(
              new SecretsAgentError(
                'ERR_HTTP_UNEXPECTED',
                `the daemon's ${path} answer exceeds ${maxResponseBytes} bytes`,
              ),
            );
          else chunks.push(chunk);
        });
        response.on('error', (error) => fail(unreachable(socketPath, error)));
        response.on('end', () => {
          clearTimeout(timer);
          const body = Buffer.concat(chunks).toString('utf8');
          if (response.statusCode === 200) return resolve(body);
          reject(
            new SecretsAgentError(
              'ERR_HTTP_UNEXPECTED',
              `the daemon answered ${path} with HTTP ${response.statusCode ?? '?'}`,
              {
                details: { status: response.statusCode, body: body.slice(0, 500) },
              },
            ),
          );
        });
      },
    );
    const timer = setTimeout(() => {
      fail(
        new SecretsAgentError(
          'ERR_DAEMON_UNREACHABLE',
          `the daemon at ${socketPath} did not answer within ${timeoutMs} ms`,
          { details: { socketPath, timeoutMs } },
        ),
      );
    }, timeoutMs);
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(unreachable(socketPath, error));
    });
    req.end();
  });
}

function unreachable(socketPath: string, error: NodeJS.ErrnoException): SecretsAgentError {
  const why =
    error.code === 'ENOENT'
      ? 'no socket there: is the daemon running? (see --status-socket)'
      : error.code === 'ECONNREFUSED'
        ? 'nothing listens on it (a leftover socket of a stopped daemon?)'
        : error.code === 'EACCES' || error.code === 'EPERM'
          ? "permission denied: the socket is 0600, run as the daemon's user (root for the systemd unit)"
          : error.message;
  return new SecretsAgentError('ERR_DAEMON_UNREACHABLE', `cannot reach the daemon at ${socketPath}: ${why}`, {
    cause: error,
    details: { socketPath, errno: error.code },
  });
}
