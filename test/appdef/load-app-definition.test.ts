import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDeliveryPlan,
  listContainerNames,
  loadAppDefinition,
  validateSecretSpaces,
} from '../../src/appdef/index.js';
import { isSecretsAgentError } from '../../src/core/errors.js';

const examplesDir = new URL('../../examples/', import.meta.url).pathname;
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'appdef-load-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function loadError(file: string, options: Parameters<typeof loadAppDefinition>[1] = {}): Promise<unknown> {
  return loadAppDefinition(file, options).then(
    () => expect.unreachable('expected the load to fail'),
    (error: unknown) => error,
  );
}

describe('examples/', async () => {
  const names = (await readdir(examplesDir)).filter((name) => name.endsWith('.json')).sort();

  it('holds the app and pod examples', () => {
    expect(names).toEqual(
      expect.arrayContaining(['app-env-and-file.json', 'app-portworx-style.json', 'pod-two-containers.json']),
    );
  });

  it.each(names)('%s parses, plans every container, and keeps its secrets in its space', async (name) => {
    const definition = await loadAppDefinition(join(examplesDir, name));
    const containers = definition.kind === 'pod' ? listContainerNames(definition) : [undefined];
    for (const containerName of containers) {
      const plan = createDeliveryPlan(definition, containerName === undefined ? {} : { containerName });
      expect(plan.secretPaths.length).toBeGreaterThan(0);
      expect(validateSecretSpaces(plan.appId, plan)).toEqual([]);
    }
  });

  it('app-env-and-file.json plans the documented env vars and files', async () => {
    const plan = createDeliveryPlan(await loadAppDefinition(join(examplesDir, 'app-env-and-file.json')));
    expect(plan.env.map((variable) => variable.name)).toEqual(['DB_PASSWORD', 'STRIPE_API_KEY']);
    expect(plan.files.map((file) => file.relativePath)).toEqual(['secrets/tls/ca.pem', 'secrets/tls/server.key']);
    expect(plan.optionalPaths).toEqual(['billing/stripe-api-key']);
  });
});

describe('loadAppDefinition', () => {
  it('reports a missing file as a usage error naming it', async () => {
    const file = join(scratch, 'missing.json');
    const error = await loadError(file);
    expect(isSecretsAgentError(error, 'ERR_USAGE')).toBe(true);
    expect((error as Error).message).toBe(`Cannot read app definition ${JSON.stringify(file)}: it does not exist`);
  });

  it('reports a directory as a usage error', async () => {
    const error = await loadError(scratch);
    expect((error as Error).message).toMatch(/it is not a regular file$/);
  });

  it('reports non-JSON with the file name, line and column', async () => {
    const file = join(scratch, 'broken.json');
    await writeFile(file, '{\n  "id": "/a",\n  "env": {"A": "b",}\n}\n');
    const error = await loadError(file);
    expect(isSecretsAgentError(error, 'ERR_INPUT_INVALID')).toBe(true);
    expect((error as Error).message).toBe(
      `App definition ${JSON.stringify(file)} is not valid JSON at line 3, column 20: expected a property name in double quotes`,
    );
  });

  it('names the file in definition issues', async () => {
    const file = join(scratch, 'invalid.json');
    await writeFile(file, JSON.stringify({ env: { A: { secret: 'nope' } } }));
    const error = await loadError(file);
    expect(isSecretsAgentError(error, 'ERR_APPDEF_INVALID')).toBe(true);
    expect((error as Error).message).toBe(
      `App definition ${JSON.stringify(file)} is invalid (1 issue):\n/env/A/secret: references an undefined secret`,
    );
  });

  it('refuses invalid UTF-8 and files over the size cap', async () => {
    const latin1 = join(scratch, 'latin1.json');
    await writeFile(latin1, Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d]));
    expect(((await loadError(latin1)) as Error).message).toMatch(/is not valid UTF-8$/);
    const big = join(scratch, 'big.json');
    await writeFile(big, JSON.stringify({ cmd: 'x'.repeat(100) }));
    expect(((await loadError(big, { maxBytes: 50 })) as Error).message).toMatch(/has 110 bytes, more than 50$/);
    expect(isSecretsAgentError(await loadError(big, { maxBytes: 0 }), 'ERR_USAGE')).toBe(true);
  });

  it('passes the optional names through', async () => {
    const file = join(scratch, 'optional.json');
    await writeFile(file, JSON.stringify({ env: { A: { secret: 's' } }, secrets: { s: { source: 'x' } } }));
    const definition = await loadAppDefinition(file, { optional: ['s'] });
    expect(definition.secrets.get('s')?.optional).toBe(true);
  });
});
