// Builds the package as it would be published (tsc -p tsconfig.build.json, then the run bundle) into a scratch
// directory instead of ./dist, so tests that run at the same time and use ./dist never see a
// half-written file. Consumers in `consumerDir` import it by name: node_modules/secrets-agent.
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const repoRoot = resolve(import.meta.dirname, '../../..');
const run = promisify(execFile);

export interface BuiltPackage {
  /** package.json + dist/ as published; its node_modules links to the repo's (for dependency types). */
  readonly packageDir: string;
  /** An empty project whose node_modules holds `secrets-agent` (the built package) and `@types`. */
  readonly consumerDir: string;
}

export async function buildPackage(): Promise<BuiltPackage> {
  const root = await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'package-'));
  const packageDir = join(root, 'secrets-agent');
  const consumerDir = join(root, 'consumer');
  await mkdir(packageDir);
  await run(
    process.execPath,
    [
      join(repoRoot, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.build.json',
      '--outDir',
      join(packageDir, 'dist'),
    ],
    { cwd: repoRoot },
  );
  // The `bin` executable and run's bundle are esbuild's output from tsc's (as in `npm run build`).
  await run(process.execPath, [join(repoRoot, 'scripts/build-run-bundle.mjs'), join(packageDir, 'dist/src/cli')], {
    cwd: repoRoot,
  });
  await copyFile(join(repoRoot, 'package.json'), join(packageDir, 'package.json'));
  await symlink(join(repoRoot, 'node_modules'), join(packageDir, 'node_modules'), 'dir');
  await mkdir(join(consumerDir, 'node_modules'), { recursive: true });
  await symlink(packageDir, join(consumerDir, 'node_modules', 'secrets-agent'), 'dir');
  await symlink(join(repoRoot, 'node_modules', '@types'), join(consumerDir, 'node_modules', '@types'), 'dir');
  return { packageDir, consumerDir };
}

export interface ToolRun {
  readonly code: number;
  readonly output: string;
}

// Runs a node script (a tool from node_modules) and returns its exit code and all output.
export async function runNodeTool(script: string, args: readonly string[], cwd: string): Promise<ToolRun> {
  try {
    const { stdout, stderr } = await run(process.execPath, [script, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}
