// Scratch directories for delivery tests: on /dev/shm (tmpfs) and on the run's scratch root
// (disk-backed on the CI box: /tmp is ext4 there). Removed after each test file.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];
afterAll(() => {
  for (const dir of made.reverse()) rmSync(dir, { recursive: true, force: true });
});

export function shmScratch(): string {
  const dir = mkdtempSync('/dev/shm/secrets-agent-test-');
  made.push(dir);
  return dir;
}

export function diskScratch(): string {
  const dir = mkdtempSync(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'deliver-'));
  made.push(dir);
  return dir;
}

export const isRoot = process.geteuid?.() === 0;

// uid/gid of `nobody` from /etc/passwd (65534 on Debian).
export function nobody(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('nobody:'));
  const [, , uid, gid] = (line ?? 'nobody:x:65534:65534').split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

// The mountinfo line for `path`, if it is a mount point.
export function mountInfo(path: string): string | undefined {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .find((line) => line.split(' ')[4] === path);
}
