// Builds `run`'s one-file bundle (dist/src/cli/run-bundle.cjs): CommonJS, so that Node 20 can
// compile it through vm.Script with V8's code cache (src/cli/run-bundle-loader.ts); packages stay
// in node_modules. `node scripts/build-run-bundle.mjs [entry] [outfile]`; also imported by tests.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

// `import.meta.url` does not exist in CommonJS: the bundle computes it from its own __filename.
const banner = "const __runBundleUrl = require('node:url').pathToFileURL(__filename).href;";

export async function buildRunBundle(entry, outfile) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    define: { 'import.meta.url': '__runBundleUrl' },
    banner: { js: banner },
    logLevel: 'warning',
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildRunBundle(
    process.argv[2] ?? 'dist/src/cli/run-entry.js',
    process.argv[3] ?? 'dist/src/cli/run-bundle.cjs',
  );
}
