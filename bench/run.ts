// `npm run bench [-- NAME...]`: runs every bench/*.bench.ts (or the named ones) and prints one table.
// Each suite measures its own baseline in the same run, because this 2-core machine is noisy and shared.
import { readdirSync } from 'node:fs';
import { printTable, type BenchRow } from './lib/print-table.js';

interface BenchSuite {
  default: () => Promise<BenchRow[]>;
}

const selected = process.argv.slice(2);
const files = readdirSync(new URL('.', import.meta.url))
  .filter((name) => name.endsWith('.bench.ts'))
  .filter((name) => selected.length === 0 || selected.some((want) => name.startsWith(want)))
  .sort();

const rows: BenchRow[] = [];
for (const file of files) {
  process.stderr.write(`bench: ${file}\n`);
  const suite = (await import(new URL(file, import.meta.url).href)) as BenchSuite;
  rows.push(...(await suite.default()));
}
printTable(rows);
