// Renders the error-code table in docs/errors.md from src/core/errors.ts, the single source of truth.
// `npx tsx scripts/render-error-table.ts --write` updates docs/errors.md; test/readme.test.ts keeps them in sync.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { errorCodes } from '../src/core/errors.js';

export const tableStart = '<!-- error-table:start -->';
export const tableEnd = '<!-- error-table:end -->';

export function renderErrorTable(): string {
  const rows = Object.entries(errorCodes).map(
    ([code, info]) =>
      `| \`${code}\` | ${info.exitCode} | ${info.httpStatus} | ${info.retryable ? 'yes' : 'no'} | ${info.summary} |`,
  );
  return ['| code | exit | HTTP | retryable | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}

export function replaceErrorTable(readme: string): string {
  const start = readme.indexOf(tableStart);
  const end = readme.indexOf(tableEnd);
  if (start === -1 || end === -1) throw new Error('docs/errors.md has no error-table markers');
  return `${readme.slice(0, start + tableStart.length)}\n${renderErrorTable()}\n${readme.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--write')) {
  const path = new URL('../docs/errors.md', import.meta.url);
  writeFileSync(path, replaceErrorTable(readFileSync(path, 'utf8')));
}
