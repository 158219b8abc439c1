// The package version for the status API: read from the nearest package.json above this module
// (src/daemon in development, dist/src/daemon when built).
import { readFileSync } from 'node:fs';

export function readPackageVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const parsed = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (parsed.name === 'secrets-agent' && typeof parsed.version === 'string') return parsed.version;
    } catch {
      // Not there: try the next level.
    }
  }
  return 'unknown';
}
