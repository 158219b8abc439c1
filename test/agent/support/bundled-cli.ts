// The CLI bundled as `npm run build` bundles it (esbuild: code splitting, packages left to
// node_modules), straight from src/ into a scratch directory, to run with plain `node`. The e2e
// tests otherwise run src/ through the tsx loader, and tsx itself creates process.stdout and
// process.stderr (making piped stdio non-blocking), which would hide whether the CLI does.
import { copyFile, mkdir, mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from './agent-process.js';

// Returns the path of the bundled main.js.
export async function bundleCli(): Promise<string> {
  const root = await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'bundled-cli-'));
  await symlink(join(repoRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
  // The native addon is found relative to the bundle (<root>/native/build/Release), as in the package.
  await symlink(join(repoRoot, 'native'), join(root, 'native'), 'dir');
  await copyFile(join(repoRoot, 'package.json'), join(root, 'package.json'));
  const outdir = join(root, 'dist/src/cli');
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: [join(repoRoot, 'src/cli/main.ts')],
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    chunkNames: 'bundle-[name]-[hash]',
    outdir,
    logLevel: 'warning',
  });
  // `run`'s own one-file bundle, which main.js loads with V8's code cache (as `npm run build` makes it).
  const { buildRunBundle } = (await import(join(repoRoot, 'scripts/build-run-bundle.mjs'))) as {
    buildRunBundle: (entry: string, outfile: string) => Promise<void>;
  };
  await buildRunBundle(join(repoRoot, 'src/cli/run-entry.ts'), join(outdir, 'run-bundle.cjs'));
  return join(outdir, 'main.js');
}
