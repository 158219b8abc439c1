// Issue 12.6: a lock holder that was killed but not yet reaped by its parent (a zombie) still
// answers kill(pid, 0), which made the next open fail with ERR_STORE_LOCKED until the parent
// waited for it. A real holder process under a parent that never reaps (`sh` exec'd into `sleep`).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { openFileBackend } from '../../../src/store/storage/file-backend.js';
import { createTestLogger } from '../../helpers/log-capture.js';

const holderScript = fileURLToPath(new URL('../../fixtures/storage/hold-file-backend.ts', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function processState(pid: number): Promise<string | undefined> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then(
    (stat) => stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0],
    () => undefined,
  );
}

it('issue 12.6: the lock of a killed but unreaped holder (a zombie) is taken over', async () => {
  const dir = join(await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'zombie-lock-')), 'storage');
  // The holder's stdin is a pipe from `sleep` that never ends, so it holds the lock until killed;
  // the shell then becomes `sleep` itself, a parent that never calls wait().
  const parent = spawn(
    'sh',
    ['-c', `sleep 600 | "${process.execPath}" --import tsx "${holderScript}" "${dir}" & exec sleep 600`],
    // Its own process group, so the cleanup reaches the `sleep` feeding the holder too.
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'], detached: true },
  );
  try {
    const lines = createInterface({ input: parent.stdout });
    const ready = await new Promise<{ event: string; pid: number }>((resolve) =>
      lines.once('line', (line) => resolve(JSON.parse(line) as { event: string; pid: number })),
    );
    expect(ready.event).toBe('ready');
    expect((JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8')) as { pid: number }).pid).toBe(ready.pid);
    process.kill(ready.pid, 'SIGKILL');
    for (let attempt = 0; attempt < 100 && (await processState(ready.pid)) !== 'Z'; attempt += 1)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await processState(ready.pid)).toBe('Z');

    const storage = await openFileBackend({ dir, log: createTestLogger('warn') });
    try {
      expect(new TextDecoder().decode((await storage.get('held/by-child'))?.value)).toBe(String(ready.pid));
      expect((JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8')) as { pid: number }).pid).toBe(process.pid);
    } finally {
      await storage.close();
    }
  } finally {
    process.kill(-(parent.pid as number), 'SIGKILL');
  }
});
