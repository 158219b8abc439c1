// The example workload: reports which secrets it received (names and sizes, never values) and exits.
import { readFileSync } from 'node:fs';

const tlsKey = readFileSync('secrets/tls.key');
const report = {
  databasePasswordBytes: Buffer.byteLength(process.env.DATABASE_PASSWORD ?? ''),
  tlsKeyBytes: tlsKey.length,
  logLevel: process.env.LOG_LEVEL,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
