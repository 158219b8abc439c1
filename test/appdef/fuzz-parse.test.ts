// Fuzz (issue 12, "Must show"): the app-definition parser and loader get arbitrary JSON, app- and
// pod-shaped objects with random parts, and raw bytes. Each either returns a definition or throws a
// SecretsAgentError with a documented code (never ERR_INTERNAL, never a TypeError). Seeded and
// bounded; FUZZ_SEED replays a run, and the seed is printed on failure.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { errorCodes, isSecretsAgentError } from '../../src/core/errors.js';
import { loadAppDefinition } from '../../src/appdef/load-app-definition.js';
import { parseAppDefinition, parseAppDefinitionText } from '../../src/appdef/parse-app-definition.js';

const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2_147_483_647);
const numRuns = 1500;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'fuzz-appdef-'));
});

// Runs `parse` and fails unless it returns or throws a documented, non-internal SecretsAgentError.
async function expectDocumentedOutcome(parse: () => unknown): Promise<void> {
  try {
    await parse();
  } catch (error) {
    if (!isSecretsAgentError(error)) throw new Error(`not a SecretsAgentError: ${String(error)}`, { cause: error });
    expect(Object.keys(errorCodes)).toContain(error.code);
    expect(error.code).not.toBe('ERR_INTERNAL');
  }
}

const anything = fc.jsonValue({ maxDepth: 4 });
const name = fc.oneof(
  fc.constantFrom('db', 'tls', 'key', '', '__proto__', 'constructor', 'a b'),
  fc.string({ maxLength: 12 }),
);
const path = fc.oneof(
  fc.constantFrom('app/db', '/app/db', '../etc/passwd', 'a//b', '', 'certs/x.pem', '/scratch', '.', 'a\u0000b'),
  fc.string({ maxLength: 20 }),
);
const secretRef = fc.oneof(fc.record({ secret: name }), fc.record({ secret: anything }), anything);
const secrets = fc.dictionary(
  name,
  fc.oneof(fc.record({ source: path }), fc.record({ source: path, key: anything }), anything),
  {
    maxKeys: 4,
  },
);
const env = fc.dictionary(
  fc.oneof(name, fc.constantFrom('PATH', 'A=B', '1X')),
  fc.oneof(fc.string({ maxLength: 8 }), secretRef),
  {
    maxKeys: 4,
  },
);
const appShaped = fc.record(
  {
    id: fc.oneof(path, anything),
    secrets: fc.oneof(secrets, anything),
    env: fc.oneof(env, anything),
    labels: fc.oneof(
      fc.dictionary(
        fc.constantFrom('SECRETS_AGENT_ON_CHANGE', 'SECRETS_AGENT_OPTIONAL', 'x'),
        fc.oneof(fc.string({ maxLength: 10 }), anything),
      ),
      anything,
    ),
    container: fc.oneof(
      fc.record({
        volumes: fc.array(fc.record({ containerPath: path, secret: fc.oneof(name, anything) }, { requiredKeys: [] }), {
          maxLength: 3,
        }),
      }),
      anything,
    ),
  },
  { requiredKeys: [] },
);
const podShaped = fc.record(
  {
    id: path,
    secrets: fc.oneof(secrets, anything),
    environment: fc.oneof(env, anything),
    volumes: fc.oneof(
      fc.array(fc.record({ name, secret: fc.oneof(name, anything) }, { requiredKeys: ['name'] }), { maxLength: 3 }),
      anything,
    ),
    containers: fc.oneof(
      fc.array(
        fc.record(
          {
            name,
            environment: fc.oneof(env, anything),
            volumeMounts: fc.oneof(
              fc.array(fc.record({ name, mountPath: path }, { requiredKeys: [] }), { maxLength: 3 }),
              anything,
            ),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 3 },
      ),
      anything,
    ),
  },
  { requiredKeys: ['containers'] },
);

describe(`fuzz: app-definition parser (seed ${seed}, FUZZ_SEED=${seed} replays)`, () => {
  it('arbitrary JSON values, app- and pod-shaped objects: a definition or a documented error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(anything, appShaped, podShaped),
        fc.array(name, { maxLength: 2 }),
        async (input, optional) => {
          await expectDocumentedOutcome(() => parseAppDefinition(input, { optional }));
          await expectDocumentedOutcome(() => parseAppDefinitionText(JSON.stringify(input) ?? 'null'));
        },
      ),
      { seed, numRuns, endOnFailure: true },
    );
  });

  it('raw text and bytes through the loader: a definition or a documented error', async () => {
    let file = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.uint8Array({ maxLength: 200 }),
          appShaped.map((value) => JSON.stringify(value).slice(0, Math.max(0, JSON.stringify(value).length - 3))),
        ),
        async (content) => {
          const target = join(dir, `def-${(file += 1)}.json`);
          await writeFile(target, content);
          await expectDocumentedOutcome(() => loadAppDefinition(target));
          await expectDocumentedOutcome(() =>
            parseAppDefinitionText(typeof content === 'string' ? content : Buffer.from(content).toString('latin1')),
          );
        },
      ),
      { seed, numRuns: numRuns / 2, endOnFailure: true },
    );
    await expectDocumentedOutcome(() => loadAppDefinition(join(dir, 'missing.json')));
  });
});
