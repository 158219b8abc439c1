// Builds `run`'s one-file bundle (dist/src/cli/run-bundle.cjs) and the `secrets-agent` executable
// (dist/src/cli/secrets-agent.cjs, from src/cli/launch.ts): CommonJS, so that Node 20 can compile
// the bundle through vm.Script with V8's code cache (src/cli/run-bundle-loader.ts) and start the
// executable without its ES module loader; packages stay in node_modules.
// `node scripts/build-run-bundle.mjs [cli-dir]` (default dist/src/cli, holding tsc's output); also
// imported by tests, which build straight from src/cli.
import { build } from 'esbuild';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// `import.meta.url` does not exist in CommonJS: each file computes it from its own __filename.
const banner = "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;";

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  define: { 'import.meta.url': '__bundleUrl' },
  banner: { js: banner },
  logLevel: 'warning',
};

// `cliDir` holds run-entry and launch (.js from tsc, or .ts in src/cli); `outDir` gets the two files.
export async function buildRunBundle(cliDir, outDir, extension = '.js') {
  await build({
    ...common,
    entryPoints: [join(cliDir, `run-entry${extension}`)],
    outfile: join(outDir, 'run-bundle.cjs'),
  });
  // execa with everything it imports, as one CommonJS file beside the bundle: a supervised `run`
  // (secret files, --user) loads it through the loader's code cache (vendoredPackages in
  // run-bundle-loader.ts) instead of ~40 ES modules Node resolves and compiles at every start.
  // Inside run-bundle.cjs it would cost every `run` that execs ~1.9 ms for the bigger file and cache.
  await build({
    ...common,
    packages: undefined,
    entryPoints: [fileURLToPath(import.meta.resolve('execa'))],
    outfile: join(outDir, 'run-execa.cjs'),
  });
  await build({
    ...common,
    entryPoints: [join(cliDir, `launch${extension}`)],
    outfile: join(outDir, 'secrets-agent.cjs'),
    // The full CLI, loaded for every command but `run`, stays the ES module it is.
    plugins: [keepExternal(/^\.\/main\.js$/)],
  });
}

function keepExternal(filter) {
  return {
    name: 'keep-external',
    setup(builder) {
      builder.onResolve({ filter }, (args) => ({ path: args.path, external: true }));
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const cliDir = process.argv[2] ?? 'dist/src/cli';
  await buildRunBundle(cliDir, cliDir);
}
