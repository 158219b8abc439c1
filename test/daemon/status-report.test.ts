import { describe, expect, it } from 'vitest';
import { formatDuration, formatStatusReport, formatTable, formatTime } from '../../src/daemon/status-report.js';
import { sampleStatus } from './status-fixture.js';

describe('formatStatusReport', () => {
  it('prints the daemon, store, token, a task table and task problems', () => {
    const report = formatStatusReport(sampleStatus(), new Date('2026-01-01T12:00:00Z'));
    expect(report).toBe(
      [
        'daemon  pid 4321, version 0.1.0, up 2h (since 2026-01-01T10:00:00Z)',
        'store   https://store.example:8200 (change-feed)',
        'token   expires 2026-01-01T12:41:00Z (in 41m), 3 renewals, last 2026-01-01T11:55:00Z',
        'tasks   3: 2 running, 1 held, 1 stale',
        '',
        'ID             STATE    PID   RESTARTS  LAST ROTATION         STALE',
        '/web           running  5001  0         2026-01-01T11:30:00Z  -',
        '/batch/report  held     -     5         -                     -',
        '/cache         running  5003  1         -                     since 2026-01-01T11:50:00Z',
        '',
        '/batch/report: held back until 2026-01-01T12:05:00Z (in 5m)',
        '/batch/report: last exit code 3',
        '/batch/report: last error: ERR_STORE_UNREACHABLE: the store could not be reached',
        '/cache: on last-known-good values until 2026-01-01T12:00:00Z (now)',
        '',
      ].join('\n'),
    );
  });

  it('says when the token has expired, and when there is no task or token yet', () => {
    const expired = formatStatusReport(sampleStatus(), new Date('2026-01-01T13:00:00Z'));
    expect(expired).toContain('token   expired 2026-01-01T12:41:00Z (19m ago)');
    const empty = formatStatusReport(
      {
        ...sampleStatus(),
        token: { renewals: 0 },
        tasks: [],
        store: { url: 'u', feed: 'poll', lastError: 'ERR_TIMEOUT: slow' },
      },
      new Date('2026-01-01T10:00:05Z'),
    );
    expect(empty).toBe(
      [
        'daemon  pid 4321, version 0.1.0, up 5s (since 2026-01-01T10:00:00Z)',
        'store   u (poll), last error: ERR_TIMEOUT: slow',
        'token   not logged in yet, 0 renewals',
        'tasks   none',
        '',
      ].join('\n'),
    );
  });
});

describe('report helpers', () => {
  it('formats durations with their two largest units', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59_999)).toBe('59s');
    expect(formatDuration(61_000)).toBe('1m1s');
    expect(formatDuration(3_723_000)).toBe('1h2m');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(2 * 86_400_000 + 3_600_000)).toBe('2d1h');
    expect(formatDuration(-5)).toBe('0s');
  });

  it('prints times to the second and leaves unparsable ones as given', () => {
    expect(formatTime('2026-01-01T10:00:00.123Z')).toBe('2026-01-01T10:00:00Z');
    expect(formatTime('2026-01-01T11:00:00+01:00')).toBe('2026-01-01T10:00:00Z');
    expect(formatTime('later')).toBe('later');
  });

  it('pads every column but the last', () => {
    expect(
      formatTable([
        ['A', 'BB', 'C'],
        ['aaa', 'b', 'c'],
      ]),
    ).toEqual(['A    BB  C', 'aaa  b   c']);
  });
});
