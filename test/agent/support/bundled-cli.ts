// The CLI bundled as `npm run build` bundles it (esbuild: code splitting, packages left to
// node_modules), straight from src/ into a scratch directory, to run with plain `node`. The e2e
// tests otherwise run src/ through the tsx loader, and tsx itself creates process.stdout and
// process.stderr (making piped stdio non-blocking), which would hide whether the CLI does.
import { copyFile, mkdir, mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { repoRoot } from './agent-process.js';

// Returns the path of the bundled executable (secrets-agent.cjs, which hands every command but `run` to main.js).
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
  // `run`'s own one-file bundle, loaded with V8's code cache, and the CommonJS executable that loads
  // it (secrets-agent.cjs), as `npm run build` makes them.
  const { buildRunBundle } = (await import(join(repoRoot, 'scripts/build-run-bundle.mjs'))) as {
    buildRunBundle: (cliDir: string, outDir: string, extension: string) => Promise<void>;
  };
  await buildRunBundle(join(repoRoot, 'src/cli'), outdir, '.ts');
  return join(outdir, 'secrets-agent.cjs');
}
