import { execFile, execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSecretsAgentError } from '../../src/core/errors.js';
import { fetchDaemonMetrics, fetchDaemonStatus } from '../../src/daemon/status-client.js';
import { parseDaemonStatus } from '../../src/daemon/status-parse.js';
import { startStatusServer } from '../../src/daemon/status-server.js';
import { createMetricsRegistry } from '../../src/metrics/registry.js';
import { createTestLogger } from '../helpers/log-capture.js';
import { makeStatusDir, sampleStatus } from './status-fixture.js';
import { expectRejection } from '../helpers/rejection.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// A plain HTTP server on a unix socket that answers every request with `answer`.
async function startFakeDaemon(socketPath: string, status: number, body: string): Promise<Server> {
  const server = createServer((_request, response) => {
    response.writeHead(status, { 'Content-Type': 'application/json' });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return server;
}

describe('fetchDaemonStatus', () => {
  it('reads and parses /status and /metrics from a real status server', async () => {
    const socketPath = join(await makeStatusDir(), 'daemon.sock');
    const registry = createMetricsRegistry();
    registry.counter('secrets_agent_token_renewals_total', 'Renewals.').inc();
    const server = await startStatusServer({
      socketPath,
      getStatus: sampleStatus,
      metrics: registry,
      log: createTestLogger(),
    });
    cleanups.push(() => server.close());
    expect(await fetchDaemonStatus({ socketPath })).toEqual(sampleStatus());
    expect(await fetchDaemonMetrics({ socketPath })).toContain('secrets_agent_token_renewals_total 1\n');
  });

  it('reports ERR_DAEMON_UNREACHABLE when there is no socket', async () => {
    const socketPath = join(await makeStatusDir(), 'daemon.sock');
    const error = await expectRejection(fetchDaemonStatus({ socketPath }), 'ERR_DAEMON_UNREACHABLE');
    expect(error.message).toContain(socketPath);
    expect(error.message).toContain('is the daemon running');
  });

  it('reports ERR_DAEMON_UNREACHABLE for a leftover socket nobody listens on', async () => {
    const socketPath = join(await makeStatusDir(), 'daemon.sock');
    execFileSync('/usr/bin/python3', [
      '-c',
      'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
      socketPath,
    ]);
    const error = await expectRejection(fetchDaemonStatus({ socketPath }), 'ERR_DAEMON_UNREACHABLE');
    expect(error.message).toContain('nothing listens');
  });

  it('gives up with ERR_DAEMON_UNREACHABLE when the daemon accepts but never answers', async () => {
    const socketPath = join(await makeStatusDir(), 'daemon.sock');
    const sockets: Socket[] = [];
    const silent: NetServer = createNetServer((socket) => {
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => silent.listen(socketPath, resolve));
    cleanups.push(
      () =>
        new Promise((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(resolve);
        }),
    );
    const error = await expectRejection(fetchDaemonStatus({ socketPath, timeoutMs: 300 }), 'ERR_DAEMON_UNREACHABLE');
    expect(error.message).toContain('did not answer within 300 ms');
  });

  it('reports ERR_HTTP_UNEXPECTED for an error status, invalid JSON, or the wrong shape', async () => {
    const dir = await makeStatusDir();
    await startFakeDaemon(join(dir, 'a.sock'), 500, '{"code":"ERR_INTERNAL"}');
    await startFakeDaemon(join(dir, 'b.sock'), 200, '{"version":');
    await startFakeDaemon(join(dir, 'c.sock'), 200, JSON.stringify({ ...sampleStatus(), pid: 'many' }));
    expect(
      (await expectRejection(fetchDaemonStatus({ socketPath: join(dir, 'a.sock') }), 'ERR_HTTP_UNEXPECTED')).message,
    ).toContain('HTTP 500');
    expect(
      (await expectRejection(fetchDaemonStatus({ socketPath: join(dir, 'b.sock') }), 'ERR_HTTP_UNEXPECTED')).message,
    ).toContain('invalid JSON');
    expect(
      (await expectRejection(fetchDaemonStatus({ socketPath: join(dir, 'c.sock') }), 'ERR_HTTP_UNEXPECTED')).message,
    ).toContain('/pid: must be a non-negative integer');
  });

  it.runIf(process.getuid?.() === 0)(
    'keeps other users out: the 0600 socket refuses a connect from uid 65534',
    async () => {
      // A traversable directory, so only the socket's own mode decides.
      const dir = await mkdtemp(join(tmpdir(), 'status-perm-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      await chmod(dir, 0o711);
      const socketPath = join(dir, 'daemon.sock');
      const server = await startStatusServer({
        socketPath,
        getStatus: sampleStatus,
        metrics: createMetricsRegistry(),
        log: createTestLogger(),
      });
      cleanups.push(() => server.close());
      const connectAs = (uid: number): Promise<string> =>
        new Promise((resolve) => {
          const probe =
            'require("node:net").connect(process.argv[1]).on("connect", () => { console.log("connected"); process.exit(0); }).on("error", (e) => { console.log(e.code); process.exit(0); })';
          execFile(process.execPath, ['-e', probe, socketPath], { uid, gid: uid, timeout: 30_000 }, (_error, stdout) =>
            resolve(stdout.trim()),
          );
        });
      expect(await connectAs(65_534)).toBe('EACCES');
      // The control: the same user gets in once the mode allows it, so EACCES came from the mode.
      await chmod(socketPath, 0o666);
      expect(await connectAs(65_534)).toBe('connected');
    },
  );
});

describe('parseDaemonStatus', () => {
  it('accepts a status and keeps fields a newer daemon adds', () => {
    const newer = { ...sampleStatus(), node: 'agent-1' };
    expect(parseDaemonStatus(newer)).toEqual(newer);
  });

  it('names every bad field with its JSON pointer', () => {
    const broken = {
      ...sampleStatus(),
      store: { url: 'x', feed: 'carrier-pigeon' },
      tasks: [{ id: '/a', file: 'a.json', state: 'dancing', restarts: -1, ledger: [{ path: 'p' }] }],
    };
    let caught: unknown;
    try {
      parseDaemonStatus(broken);
    } catch (error) {
      caught = error;
    }
    expect(isSecretsAgentError(caught, 'ERR_HTTP_UNEXPECTED')).toBe(true);
    expect((caught as { details: { issues: string[] } }).details.issues).toEqual([
      '/store/feed: must be one of change-feed, poll, unsupported',
      '/tasks/0/state: must be one of starting, running, backoff, held, stopping, stopped, failed',
      '/tasks/0/restarts: must be a non-negative integer',
      '/tasks/0/ledger/0/sha256: is required',
      '/tasks/0/ledger/0/deliveredAt: is required',
    ]);
  });
});
