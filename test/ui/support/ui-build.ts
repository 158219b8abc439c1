import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
const sourceDir = join(repo, 'src', 'ui');
const builtPage = join(repo, 'dist', 'ui', 'index.html');

// Runs `npm run build:ui` when dist/ui is missing or older than src/ui (a test run straight after
// an edit serves what was edited). The store serves dist/ui, the same files the package ships.
export function ensureUiBuilt(): void {
  const builtMs = statSync(builtPage, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  const newestSourceMs = Math.max(
    ...readdirSync(sourceDir, { recursive: true, encoding: 'utf8' }).map(
      (name) => statSync(join(sourceDir, name)).mtimeMs,
    ),
  );
  if (builtMs >= newestSourceMs) return;
  execFileSync('npm', ['run', '--silent', 'build:ui'], { cwd: repo, stdio: 'pipe' });
}
