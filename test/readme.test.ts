import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { replaceErrorTable } from '../scripts/render-error-table.js';

describe('README', () => {
  it('error-code table matches src/core/errors.ts (regenerate: npx tsx scripts/render-error-table.ts --write)', () => {
    const errors = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    expect(errors).toBe(replaceErrorTable(errors));
  });

  it('quickstart names the demo and the test command, and .ci/run calls the test command', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toMatch(/^npm run demo\b/m);
    expect(readme).toMatch(/^npm test\b/m);
    const ci = readFileSync(new URL('../.ci/run', import.meta.url), 'utf8');
    expect(ci).toMatch(/^npm test$/m);
  });
});
