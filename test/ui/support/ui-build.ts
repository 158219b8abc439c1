import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const sourceDir = join(repo, 'src', 'ui');
const builtPage = join(repo, 'dist', 'ui', 'index.html');
const lockDir = join(repo, 'dist', '.ui-build-lock');
const maxWaitMs = 120_000;

// Runs `npm run build:ui` when dist/ui is missing or older than src/ui (a test run straight after
// an edit serves what was edited). The store serves dist/ui, the same files the package ships.
// Test files run in parallel workers: a lock directory lets one build while the others wait.
export function ensureUiBuilt(): void {
  if (isFresh()) return;
  mkdirSync(join(repo, 'dist'), { recursive: true });
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (Date.now() > deadline)
        throw new Error(`${lockDir} held for over ${maxWaitMs} ms: remove it if no build runs`, { cause: error });
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    // vitest sets NODE_ENV=test, which would make Vite emit a development bundle: build what ships.
    if (!isFresh())
      execFileSync('npm', ['run', '--silent', 'build:ui'], {
        cwd: repo,
        stdio: 'pipe',
        env: { ...process.env, NODE_ENV: 'production' },
      });
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function isFresh(): boolean {
  const builtMs = statSync(builtPage, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const sourceMs = readdirSync(sourceDir, { recursive: true, encoding: 'utf8' }).map(
    (name) => statSync(join(sourceDir, name)).mtimeMs,
  );
  return builtMs >= Math.max(...sourceMs);
}
