// Builds the web interface (src/ui) into dist/ui, which `store serve` serves at /ui/. Preact's JSX
// through Vite's own transform (no plugin needed); no inline script or style in the output, so the
// page runs under a CSP without 'unsafe-inline'.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const uiSource = fileURLToPath(new URL('../src/ui', import.meta.url));

export default defineConfig({
  root: uiSource,
  base: '/ui/',
  publicDir: false,
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
