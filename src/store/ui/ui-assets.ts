// The web interface's built files (`npm run build` writes them to dist/ui), read once into memory.
// Only files found there are ever served, looked up by exact name: a request cannot reach any
// other file, whatever its path says.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface UiAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

/** Asset name (`index.html`, `assets/index-abc123.js`) to its bytes and type. */
export type UiAssets = ReadonlyMap<string, UiAsset>;

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

// dist/ui of the package this module belongs to: the first ancestor holding a package.json (from
// src/store/ui under tsx, dist/src/store/ui once compiled, or dist/src/cli inside the CLI bundle).
export function locateUiDir(moduleUrl: string = import.meta.url): string | undefined {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'ui');
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

// Reads every file of a known type under `dir`; an empty map when the interface was not built.
export async function loadUiAssets(dir: string | undefined): Promise<UiAssets> {
  const assets = new Map<string, UiAsset>();
  if (dir === undefined || !existsSync(join(dir, 'index.html'))) return assets;
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const contentType = contentTypes[extname(entry.name).toLowerCase()];
    if (contentType === undefined) continue;
    const file = join(entry.parentPath, entry.name);
    assets.set(relative(dir, file).split(sep).join('/'), { body: await readFile(file), contentType });
  }
  return assets;
}
