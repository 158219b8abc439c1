// The published package: its emitted declarations compile a real consumer (and reject a wrong
// one), and publint and attw (esm-only profile) find nothing wrong with package.json and dist.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildPackage, repoRoot, runNodeTool, type BuiltPackage } from './support/build-package.js';

const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
let built: BuiltPackage;

// The consumer's own settings: as strict as ours, resolving the package through its `exports`.
const consumerTsconfig = {
  compilerOptions: {
    target: 'ES2023',
    lib: ['ES2023'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    types: ['node'],
    noEmit: true,
  },
  files: ['consumer.ts', 'misuse.ts'],
};

// Misuse the compiler must refuse: proves the declarations are real types, not `any`.
const misuse = [
  "import { createSecretsClient } from 'secrets-agent';",
  "import { openEmbeddedStore } from 'secrets-agent';",
  'const client = createSecretsClient({ url: 42 });',
  "const n: number = await client.getSecret('k');",
  'export { client, n, openEmbeddedStore };',
].join('\n');

beforeAll(async () => {
  built = await buildPackage();
}, 180_000);

describe('published types', () => {
  // One tsc run for both files (a tsc start costs seconds on two cores).
  it('compiles test/fixtures/types-consumer.ts against dist/src/index.d.ts via `secrets-agent`, and rejects misuse', async () => {
    const fixture = await readFile(join(repoRoot, 'test/fixtures/types-consumer.ts'), 'utf8');
    expect(fixture).toContain("from '../../src/index.js'");
    await writeFile(
      join(built.consumerDir, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    await writeFile(join(built.consumerDir, 'tsconfig.json'), JSON.stringify(consumerTsconfig));
    await writeFile(
      join(built.consumerDir, 'consumer.ts'),
      fixture.replace("from '../../src/index.js'", "from 'secrets-agent'"),
    );
    await writeFile(join(built.consumerDir, 'misuse.ts'), misuse);
    const result = await runNodeTool(tsc, ['-p', 'tsconfig.json'], built.consumerDir);
    const errors = result.output.split('\n').filter((line) => line.includes('error TS'));
    expect(errors.filter((line) => !line.startsWith('misuse.ts('))).toEqual([]);
    expect(errors).toHaveLength(3);
    expect(result.output).toContain(
      "misuse.ts(2,10): error TS2305: Module '\"secrets-agent\"' has no exported member 'openEmbeddedStore'",
    );
    expect(result.output).toMatch(/misuse\.ts\(3,\d+\): error TS2322/);
    expect(result.output).toMatch(/misuse\.ts\(4,\d+\): error TS2322/);
  }, 60_000);

  it('publint --strict finds nothing', async () => {
    const result = await runNodeTool(
      join(repoRoot, 'node_modules/publint/src/cli.js'),
      ['--strict', built.packageDir],
      built.packageDir,
    );
    expect(result.output).toContain('All good!');
    expect(result.code).toBe(0);
  }, 60_000);

  it('attw --pack --profile esm-only finds no problem', async () => {
    const result = await runNodeTool(
      join(repoRoot, 'node_modules/@arethetypeswrong/cli/dist/index.js'),
      ['--pack', built.packageDir, '--profile', 'esm-only', '--format', 'json'],
      built.packageDir,
    );
    expect(result.code, result.output).toBe(0);
    const report = JSON.parse(result.output.slice(result.output.indexOf('{'))) as {
      analysis?: { problems?: { resolutionKind?: string }[] };
    };
    // The esm-only profile ignores CommonJS and node10 consumers: an ESM-only package cannot serve them.
    const ignored = new Set(['node10', 'node16-cjs']);
    expect((report.analysis?.problems ?? []).filter((problem) => !ignored.has(problem.resolutionKind ?? ''))).toEqual(
      [],
    );
    expect(report.analysis?.problems).toBeDefined();
  }, 60_000);
});
