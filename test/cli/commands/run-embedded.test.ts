// `run --data-dir` as a node starts several tasks at once: each run holds the store's directory
// lock for the milliseconds it reads, and the others wait for it instead of failing with 69.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedStore } from '../../../src/store/embedded-store.js';
import { canaryValue } from '../../helpers/canary.js';
import { getTestPgpKeyPair } from '../../helpers/pgp-keypair.js';
import { bundleCli } from '../../agent/support/bundled-cli.js';
import { parseReport, reportFixture, runAgentCli } from '../../agent/support/agent-process.js';

let dir: string;
let dataDir: string;
let app: string;

beforeAll(async () => {
  dir = await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'run-embedded-'));
  dataDir = join(dir, 'data');
  const store = await openEmbeddedStore({ dataDir, initialize: { keyPair: await getTestPgpKeyPair() } });
  try {
    for (let index = 0; index < 20; index += 1)
      await store.createSecret(`team/secret-${index}`, { type: 'text', bytes: new TextEncoder().encode(canaryValue) });
  } finally {
    await store.close();
  }
  app = join(dir, 'app.json');
  const env: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (let index = 0; index < 20; index += 1) {
    env[`SECRET_${index}`] = { secret: `s${index}` };
    secrets[`s${index}`] = { source: `team/secret-${index}` };
  }
  await writeFile(app, JSON.stringify({ id: '/team/app', env, secrets }));
}, 60_000);

describe('run --data-dir', () => {
  it('six runs started at once on one store all deliver their secrets (none fails on the directory lock)', async () => {
    const executable = await bundleCli();
    const runs = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const sandbox = await mkdtemp(join(dir, 'sandbox-'));
        return runAgentCli(['run', '--app', app, '--data-dir', dataDir, '--', 'node', reportFixture], {
          cwd: sandbox,
          mainScript: executable,
        });
      }),
    );
    for (const result of runs) {
      expect(result.code, result.stderr).toBe(0);
      expect(parseReport(result).env['SECRET_19']).toBe(canaryValue);
      expect(result.stderr).not.toContain(canaryValue);
    }
  });
});
