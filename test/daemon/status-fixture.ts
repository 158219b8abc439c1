import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DaemonStatus } from '../../src/daemon/status-types.js';

// A scratch directory under the run's root; socket paths inside it stay well under 107 bytes.
export function makeStatusDir(prefix = 'status-'): Promise<string> {
  return mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), prefix));
}

// A daemon status with one task of each interesting kind, at fixed times.
export function sampleStatus(): DaemonStatus {
  return {
    version: '0.1.0',
    startedAt: '2026-01-01T10:00:00.000Z',
    pid: 4321,
    store: { url: 'https://store.example:8200', feed: 'change-feed' },
    token: { expiresAt: '2026-01-01T12:41:00.000Z', renewals: 3, lastRenewalAt: '2026-01-01T11:55:00.000Z' },
    tasks: [
      {
        id: '/web',
        file: '/etc/secrets-agent/apps/web.json',
        state: 'running',
        pid: 5001,
        restarts: 0,
        lastStartAt: '2026-01-01T10:00:01.000Z',
        lastRotationAt: '2026-01-01T11:30:00.000Z',
        ledger: [{ path: 'web/db/password', sha256: 'a'.repeat(64), deliveredAt: '2026-01-01T11:30:00.000Z' }],
      },
      {
        id: '/batch/report',
        file: '/etc/secrets-agent/apps/report.json',
        state: 'held',
        restarts: 5,
        lastExitCode: 3,
        heldUntil: '2026-01-01T12:05:00.000Z',
        lastError: 'ERR_STORE_UNREACHABLE: the store could not be reached',
        ledger: [],
      },
      {
        id: '/cache',
        file: '/etc/secrets-agent/apps/cache.json',
        state: 'running',
        pid: 5003,
        restarts: 1,
        stale: { since: '2026-01-01T11:50:00.000Z', until: '2026-01-01T12:00:00.000Z' },
        ledger: [{ path: 'cache/key', sha256: 'b'.repeat(64), deliveredAt: '2026-01-01T10:00:01.000Z' }],
      },
    ],
  };
}
