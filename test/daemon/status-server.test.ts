import { execFileSync } from 'node:child_process';
import { chmod, chown, lstat, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { request, type RequestOptions } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSecretsAgentError } from '../../src/core/errors.js';
import {
  parseListenAddress,
  startStatusServer,
  type StatusServer,
  type StatusServerOptions,
} from '../../src/daemon/status-server.js';
import { createDaemonMetrics } from '../../src/metrics/daemon-metrics.js';
import { createMetricsRegistry } from '../../src/metrics/registry.js';
import { capturedLogLines, createTestLogger } from '../helpers/log-capture.js';
import { parseExposition, sampleValue } from '../metrics/support/parse-exposition.js';
import { makeStatusDir, sampleStatus } from './status-fixture.js';
import { expectRejection } from '../helpers/rejection.js';

interface Answer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string;
}

function get(
  target: Pick<RequestOptions, 'socketPath' | 'host' | 'port'>,
  path: string,
  method = 'GET',
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ ...target, path, method, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const servers: StatusServer[] = [];

async function start(options: Partial<StatusServerOptions> & { socketPath: string }): Promise<StatusServer> {
  const registry = createMetricsRegistry();
  const metrics = createDaemonMetrics(registry);
  metrics.fetches.inc({ result: 'fetched' }, 7);
  const server = await startStatusServer({
    getStatus: sampleStatus,
    metrics: registry,
    log: createTestLogger(),
    ...options,
  });
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe('startStatusServer', () => {
  it('creates the socket 0600 in a new 0700 directory', async () => {
    const dir = await makeStatusDir();
    const socketPath = join(dir, 'run', 'daemon.sock');
    await start({ socketPath });
    const socket = await lstat(socketPath);
    expect(socket.isSocket()).toBe(true);
    expect(socket.mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'run'))).mode & 0o777).toBe(0o700);
  });

  it('leaves the mode of an existing parent directory alone', async () => {
    const dir = await makeStatusDir();
    await mkdir(join(dir, 'shared'), { mode: 0o711 });
    await chmod(join(dir, 'shared'), 0o711);
    await start({ socketPath: join(dir, 'shared', 'daemon.sock') });
    expect((await stat(join(dir, 'shared'))).mode & 0o777).toBe(0o711);
    expect((await lstat(join(dir, 'shared', 'daemon.sock'))).mode & 0o777).toBe(0o600);
  });

  it('serves GET /status as the JSON of getStatus', async () => {
    const socketPath = join(await makeStatusDir(), 'daemon.sock');
    await start({ socketPath });
    const answer = await get({ socketPath }, '/status');
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('application/json');
    expect(JSON.parse(answer.body)).toEqual(sampleStatus());
  });

  it('serves GET /metrics as Prometheus text', async () => {
    const socketPath = join(await makeStatusDir(), 'daemon.sock');
    await start({ socketPath });
    const answer = await get({ socketPath }, '/metrics');
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(sampleValue(await parseExposition(answer.body), 'secrets_agent_fetches_total', { result: 'fetched' })).toBe(
      7,
    );
  });

  it('awaits an asynchronous getStatus', async () => {
    const socketPath = join(await makeStatusDir(), 'daemon.sock');
    await start({ socketPath, getStatus: async () => ({ ...sampleStatus(), pid: 77 }) });
    expect((JSON.parse((await get({ socketPath }, '/status')).body) as { pid: number }).pid).toBe(77);
  });

  it('answers unknown routes with 404 and other methods with 405, as JSON error codes', async () => {
    const socketPath = join(await makeStatusDir(), 'daemon.sock');
    await start({ socketPath });
    const missing = await get({ socketPath }, '/secrets');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ code: 'ERR_ROUTE_NOT_FOUND' });
    const posted = await get({ socketPath }, '/status', 'POST');
    expect(posted.status).toBe(405);
    expect(JSON.parse(posted.body)).toMatchObject({ code: 'ERR_METHOD_NOT_ALLOWED' });
  });

  it('answers 500 with the error code when getStatus fails, and logs it', async () => {
    const socketPath = join(await makeStatusDir(), 'daemon.sock');
    const before = capturedLogLines().length;
    await start({
      socketPath,
      getStatus: () => {
        throw new Error('task table is being rebuilt');
      },
    });
    const answer = await get({ socketPath }, '/status');
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'ERR_INTERNAL' });
    expect(
      capturedLogLines()
        .slice(before)
        .some((line) => line.includes('status API request failed')),
    ).toBe(true);
  });

  it('refuses to start while another daemon listens on the socket', async () => {
    const socketPath = join(await makeStatusDir(), 'daemon.sock');
    await start({ socketPath });
    await expectRejection(start({ socketPath }), 'ERR_DAEMON_ALREADY_RUNNING');
    expect((await get({ socketPath }, '/status')).status).toBe(200);
  });

  it('replaces a stale socket left by a daemon that died', async () => {
    const socketPath = join(await makeStatusDir(), 'daemon.sock');
    // Python binds and exits without unlinking, as a SIGKILLed daemon would leave it.
    execFileSync('/usr/bin/python3', [
      '-c',
      'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
      socketPath,
    ]);
    expect((await lstat(socketPath)).isSocket()).toBe(true);
    await start({ socketPath });
    expect((await get({ socketPath }, '/status')).status).toBe(200);
  });

  it('never deletes a file that is not a socket', async () => {
    const socketPath = join(await makeStatusDir(), 'daemon.sock');
    await writeFile(socketPath, 'operator notes\n');
    await expectRejection(start({ socketPath }), 'ERR_CONFIG_INVALID');
    expect(await readFile(socketPath, 'utf8')).toBe('operator notes\n');
  });

  it('refuses a directory others could write to or that belongs to someone else', async () => {
    const dir = await makeStatusDir();
    await mkdir(join(dir, 'open'), { mode: 0o777 });
    await chmod(join(dir, 'open'), 0o777);
    expect(
      (await expectRejection(start({ socketPath: join(dir, 'open', 'daemon.sock') }), 'ERR_CONFIG_INVALID')).message,
    ).toContain('writable by others');
    await mkdir(join(dir, 'theirs'), { mode: 0o700 });
    if (process.getuid?.() === 0) {
      await chown(join(dir, 'theirs'), 65_534, 65_534);
      expect(
        (await expectRejection(start({ socketPath: join(dir, 'theirs', 'daemon.sock') }), 'ERR_CONFIG_INVALID'))
          .message,
      ).toContain('belongs to uid 65534');
    }
    // Sticky and world-writable, as /tmp: allowed.
    await chmod(join(dir, 'open'), 0o1777);
    await start({ socketPath: join(dir, 'open', 'daemon.sock') });
  });

  it('refuses relative and over-long socket paths', async () => {
    await expectRejection(start({ socketPath: 'daemon.sock' }), 'ERR_CONFIG_INVALID');
    await expectRejection(start({ socketPath: `/tmp/${'x'.repeat(120)}.sock` }), 'ERR_CONFIG_INVALID');
  });

  it('removes its socket on close, and close is safe to call twice', async () => {
    const socketPath = join(await makeStatusDir(), 'daemon.sock');
    const server = await start({ socketPath });
    await Promise.all([server.close(), server.close()]);
    await server.close();
    await expect(lstat(socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('serves only /metrics on the opt-in TCP listener', async () => {
    const socketPath = join(await makeStatusDir(), 'daemon.sock');
    const server = await start({ socketPath, metricsListen: '127.0.0.1:0' });
    const address = server.metricsAddress;
    expect(address?.host).toBe('127.0.0.1');
    const target = { host: '127.0.0.1', port: address?.port ?? 0 };
    const metrics = await get(target, '/metrics');
    expect(metrics.status).toBe(200);
    expect(sampleValue(await parseExposition(metrics.body), 'secrets_agent_fetches_total', { result: 'fetched' })).toBe(
      7,
    );
    const status = await get(target, '/status');
    expect(status.status).toBe(404);
    expect(status.body).not.toContain('/web');
  });

  it('fails with ERR_CONFIG_INVALID and leaves no socket when the metrics port is taken', async () => {
    const socketPath = join(await makeStatusDir(), 'daemon.sock');
    const first = await start({ socketPath: join(await makeStatusDir(), 'first.sock'), metricsListen: '127.0.0.1:0' });
    await expectRejection(
      start({ socketPath, metricsListen: `127.0.0.1:${first.metricsAddress?.port ?? 0}` }),
      'ERR_CONFIG_INVALID',
    );
    await expect(lstat(socketPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('parseListenAddress', () => {
  it('reads HOST:PORT for IPv4, names and bracketed IPv6', () => {
    expect(parseListenAddress('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress('localhost:0')).toEqual({ host: 'localhost', port: 0 });
    expect(parseListenAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
  });

  it('rejects anything else with ERR_CONFIG_INVALID', () => {
    for (const value of ['9464', '127.0.0.1', '::1:9464', '127.0.0.1:99999', 'host:port', '']) {
      let caught: unknown;
      try {
        parseListenAddress(value);
      } catch (error) {
        caught = error;
      }
      expect(isSecretsAgentError(caught, 'ERR_CONFIG_INVALID'), value).toBe(true);
    }
  });
});
