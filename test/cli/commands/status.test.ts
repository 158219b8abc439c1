import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { errorCodes } from '../../../src/core/errors.js';
import { startStatusServer, type StatusServer } from '../../../src/daemon/status-server.js';
import type { DaemonStatus } from '../../../src/daemon/status-types.js';
import { createDaemonMetrics } from '../../../src/metrics/daemon-metrics.js';
import { createMetricsRegistry } from '../../../src/metrics/registry.js';
import { createTestLogger, recordLogText } from '../../helpers/log-capture.js';
import { runBufferedCli, type CliRun } from './support/buffered-cli.js';
import { makeStatusDir, sampleStatus } from '../../daemon/status-fixture.js';
import { parseExposition, sampleValue } from '../../metrics/support/parse-exposition.js';

const cli = (args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> =>
  runBufferedCli(args, { env });

const servers: StatusServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function startDaemonStatus(status: DaemonStatus = sampleStatus()): Promise<string> {
  const socketPath = join(await makeStatusDir('status-cli-'), 'daemon.sock');
  const registry = createMetricsRegistry();
  const metrics = createDaemonMetrics(registry);
  metrics.rotations.inc({ reaction: 'signal' }, 2);
  servers.push(
    await startStatusServer({ socketPath, getStatus: () => status, metrics: registry, log: createTestLogger() }),
  );
  return socketPath;
}

describe('secrets-agent status', () => {
  it('prints the task table and the token expiry', async () => {
    const socketPath = await startDaemonStatus();
    const run = await cli(['status', '--status-socket', socketPath]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(/^daemon {2}pid 4321, version 0\.1\.0, up /);
    expect(lines).toContain('store   https://store.example:8200 (change-feed)');
    expect(run.stdout).toMatch(
      /^token {3}expired 2026-01-01T12:41:00Z \(.+ ago\), 3 renewals, last 2026-01-01T11:55:00Z$/m,
    );
    expect(lines).toContain('ID             STATE    PID   RESTARTS  LAST ROTATION         STALE');
    expect(lines).toContain('/web           running  5001  0         2026-01-01T11:30:00Z  -');
    expect(lines).toContain('/batch/report  held     -     5         -                     -');
    expect(lines).toContain('/cache         running  5003  1         -                     since 2026-01-01T11:50:00Z');
    expect(lines).toContain('/batch/report: last error: ERR_STORE_UNREACHABLE: the store could not be reached');
  });

  it('finds the socket through SECRETS_AGENT_STATUS_SOCKET, as the daemon does', async () => {
    const socketPath = await startDaemonStatus();
    const run = await cli(['status', '--json'], { SECRETS_AGENT_STATUS_SOCKET: socketPath });
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as DaemonStatus).pid).toBe(4321);
  });

  it('prints the status as JSON with --json', async () => {
    const socketPath = await startDaemonStatus();
    const run = await cli(['status', '--status-socket', socketPath, '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(sampleStatus());
  });

  it('prints the metrics with --metrics', async () => {
    const socketPath = await startDaemonStatus();
    const run = await cli(['status', '--status-socket', socketPath, '--metrics']);
    expect(run.code).toBe(0);
    expect(
      sampleValue(await parseExposition(run.stdout), 'secrets_agent_rotations_total', { reaction: 'signal' }),
    ).toBe(2);
  });

  it("exits with ERR_DAEMON_UNREACHABLE's code when nothing listens", async () => {
    const socketPath = join(await makeStatusDir('status-cli-'), 'daemon.sock');
    const run = await cli(['status', '--status-socket', socketPath]);
    expect(run.code).toBe(errorCodes.ERR_DAEMON_UNREACHABLE.exitCode);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`cannot reach the daemon at ${socketPath}`);
    expect(run.stderr).toContain('(ERR_DAEMON_UNREACHABLE)');
  });

  it('refuses --json together with --metrics', async () => {
    const run = await cli(['status', '--status-socket', '/nonexistent/daemon.sock', '--json', '--metrics']);
    expect(run.code).toBe(errorCodes.ERR_USAGE.exitCode);
    expect(run.stderr).toMatch(/--json and --metrics are mutually exclusive/);
  });

  it('rejects a bad --timeout-ms as a usage error', async () => {
    const run = await cli(['status', '--status-socket', '/nonexistent/daemon.sock', '--timeout-ms', '0']);
    expect(run.code).toBe(errorCodes.ERR_USAGE.exitCode);
    expect(run.stderr).toContain('Expected `--timeout-ms` to be a positive integer, got `0` (number)');
  });

  it('exits 69 as a real process when the daemon is not running', async () => {
    const socketPath = join(await makeStatusDir('status-cli-'), 'daemon.sock');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'status', '--status-socket', socketPath],
      {
        cwd: process.cwd(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    recordLogText(stderr);
    expect(code).toBe(69);
    expect(stdout).toBe('');
    expect(stderr).toContain('ERR_DAEMON_UNREACHABLE');
  });
});
