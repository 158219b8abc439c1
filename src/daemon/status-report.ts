// The human-readable form of a DaemonStatus, as `secrets-agent status` prints it.
import type { DaemonStatus, TaskStatus } from './status-types.js';

// A report: a header (daemon, store, token, task counts), a task table, then task problems.
export function formatStatusReport(status: DaemonStatus, now: Date): string {
  const lines: string[] = [];
  const nowMs = now.getTime();
  lines.push(
    `daemon  pid ${status.pid}, version ${status.version}, up ${formatAge(status.startedAt, nowMs)} (since ${formatTime(status.startedAt)})`,
  );
  lines.push(
    `store   ${status.store.url} (${status.store.feed})${status.store.lastError === undefined ? '' : `, last error: ${status.store.lastError}`}`,
  );
  lines.push(`token   ${formatToken(status.token, nowMs)}`);
  lines.push(`tasks   ${formatTaskCounts(status.tasks)}`);
  if (status.tasks.length > 0) {
    lines.push('');
    const rows = [['ID', 'STATE', 'PID', 'RESTARTS', 'LAST ROTATION', 'STALE'], ...status.tasks.map(taskRow)];
    lines.push(...formatTable(rows));
  }
  const problems = status.tasks.flatMap((task) => taskProblems(task, nowMs));
  if (problems.length > 0) lines.push('', ...problems);
  return `${lines.join('\n')}\n`;
}

function taskRow(task: TaskStatus): string[] {
  return [
    task.id,
    task.state,
    task.pid === undefined ? '-' : String(task.pid),
    String(task.restarts),
    task.lastRotationAt === undefined ? '-' : formatTime(task.lastRotationAt),
    task.stale === undefined ? '-' : `since ${formatTime(task.stale.since)}`,
  ];
}

function taskProblems(task: TaskStatus, nowMs: number): string[] {
  const notes: string[] = [];
  if (task.heldUntil !== undefined)
    notes.push(`held back until ${formatTime(task.heldUntil)} (${formatUntil(task.heldUntil, nowMs)})`);
  if (task.stale !== undefined)
    notes.push(
      `on last-known-good values until ${formatTime(task.stale.until)} (${formatUntil(task.stale.until, nowMs)})`,
    );
  if (task.lastExitCode !== undefined && task.state !== 'running') notes.push(`last exit code ${task.lastExitCode}`);
  if (task.lastError !== undefined) notes.push(`last error: ${task.lastError}`);
  return notes.map((note) => `${task.id}: ${note}`);
}

function formatToken(token: DaemonStatus['token'], nowMs: number): string {
  const renewals = `${token.renewals} renewal${token.renewals === 1 ? '' : 's'}`;
  const last = token.lastRenewalAt === undefined ? '' : `, last ${formatTime(token.lastRenewalAt)}`;
  if (token.expiresAt === undefined) return `not logged in yet, ${renewals}${last}`;
  const expiresMs = Date.parse(token.expiresAt);
  const verb = expiresMs <= nowMs ? 'expired' : 'expires';
  return `${verb} ${formatTime(token.expiresAt)} (${formatUntil(token.expiresAt, nowMs)}), ${renewals}${last}`;
}

function formatTaskCounts(tasks: readonly TaskStatus[]): string {
  if (tasks.length === 0) return 'none';
  const counts = new Map<string, number>();
  for (const task of tasks) counts.set(task.state, (counts.get(task.state) ?? 0) + 1);
  const stale = tasks.filter((task) => task.stale !== undefined).length;
  const parts = [...counts].map(([state, n]) => `${n} ${state}`);
  if (stale > 0) parts.push(`${stale} stale`);
  return `${tasks.length}: ${parts.join(', ')}`;
}

// Left-aligned columns separated by two spaces; the last column is not padded.
export function formatTable(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, index) => {
      widths[index] = Math.max(widths[index] ?? 0, cell.length);
    });
  return rows.map((row) =>
    row.map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0))).join('  '),
  );
}

// ISO 8601 to the second; anything unparsable is shown as given.
export function formatTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function formatAge(iso: string, nowMs: number): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? '?' : formatDuration(nowMs - ms);
}

function formatUntil(iso: string, nowMs: number): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '?';
  if (Math.abs(ms - nowMs) < 1000) return 'now';
  return ms >= nowMs ? `in ${formatDuration(ms - nowMs)}` : `${formatDuration(nowMs - ms)} ago`;
}

// 59s, 41m, 2h3m, 3d4h: the largest unit and, when not zero, the next one.
export function formatDuration(durationMs: number): string {
  const seconds = Math.max(0, Math.floor(durationMs / 1000));
  const units: readonly [string, number][] = [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  const index = units.findIndex(([, size]) => seconds >= size);
  if (index < 0) return '0s';
  const [name, size] = units[index] ?? ['s', 1];
  const major = Math.floor(seconds / size);
  const next = units[index + 1];
  const minor = next === undefined ? 0 : Math.floor((seconds - major * size) / next[1]);
  return next === undefined || minor === 0 ? `${major}${name}` : `${major}${name}${minor}${next[0]}`;
}
