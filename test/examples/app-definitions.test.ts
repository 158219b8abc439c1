// Every definition in examples/ runs through the real agent (a child process of the CLI) against
// the embedded store (--data-dir), and the fixture workload sees exactly what the plan promises.
import { readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { listContainerNames, loadAppDefinition, type DeliveryPlan } from '../../src/appdef/index.js';
import { planFromDefinition } from '../../src/agent/load-plan.js';
import { openEmbeddedStore } from '../../src/store/embedded-store.js';
import { getTestPgpKeyPair } from '../helpers/pgp-keypair.js';
import { decodeContent, parseReport, repoRoot, reportFixture, runAgentCli } from '../agent/support/agent-process.js';

const examplesDir = join(repoRoot, 'examples');
const exampleFiles = readdirSync(examplesDir)
  .filter((name) => name.endsWith('.json'))
  .sort();
/** Left out of the store on purpose: the example marks it optional, so the run must skip it. */
const absentOptional = new Set(['billing/stripe-api-key']);
const valueOf = (path: string): string => `value of ${path}`;

let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'examples-store-'));
  const store = await openEmbeddedStore({ dataDir, initialize: { keyPair: await getTestPgpKeyPair() } });
  try {
    const paths = new Set<string>();
    for (const file of exampleFiles) {
      for (const secret of (await loadAppDefinition(join(examplesDir, file))).secrets.values())
        paths.add(secret.source);
    }
    for (const path of paths) {
      if (!absentOptional.has(path))
        await store.createSecret(path, { type: 'text', bytes: new TextEncoder().encode(valueOf(path)) });
    }
  } finally {
    await store.close();
  }
}, 120_000);

describe('examples/', () => {
  it('holds app and pod definitions', () => {
    expect(exampleFiles.length).toBeGreaterThanOrEqual(4);
  });

  for (const file of exampleFiles) {
    it(`${file} runs through the real agent`, async () => {
      const definition = await loadAppDefinition(join(examplesDir, file));
      const containers = definition.kind === 'pod' ? listContainerNames(definition) : [undefined];
      for (const container of containers) {
        const plan = planFromDefinition(definition, container === undefined ? {} : { containerName: container });
        const sandbox = await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'example-sandbox-'));
        const result = await runAgentCli(
          [
            'run',
            '--app',
            join(examplesDir, file),
            '--data-dir',
            dataDir,
            '--sandbox',
            sandbox,
            ...(container === undefined ? [] : ['--container', container]),
            '--',
            'node',
            reportFixture,
            ...plan.files.map((entry) => entry.relativePath),
          ],
          { cwd: sandbox },
        );
        expect(result.code, result.stderr).toBe(0);
        expectDelivered(plan, parseReport(result));
      }
    });
  }
});

function expectDelivered(plan: DeliveryPlan, report: ReturnType<typeof parseReport>): void {
  for (const variable of plan.env) {
    if (absentOptional.has(variable.sourcePath)) expect(report.env).not.toHaveProperty(variable.name);
    else expect(report.env[variable.name], variable.name).toBe(valueOf(variable.sourcePath));
  }
  for (const [name, value] of Object.entries(plan.plainEnv)) expect(report.env[name]).toBe(value);
  for (const file of plan.files) {
    expect(decodeContent(report.files[file.relativePath]), file.relativePath).toBe(valueOf(file.sourcePath));
    expect(report.files[file.relativePath]).toMatchObject({ mode: 0o400, symlink: true });
  }
}
