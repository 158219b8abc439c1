import { createHash } from 'node:crypto';
import { lstat, mkdtemp, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAppDefinition } from '../../src/appdef/index.js';
import { planFromDefinition } from '../../src/agent/load-plan.js';
import { prepareWorkload, type PreparedWorkload } from '../../src/agent/prepare-workload.js';
import type { ResolvedSecret, ResolvedSecrets } from '../../src/agent/resolve-secrets.js';
import type { SecretType } from '../../src/core/secrets-api.js';
import { canaryValue } from '../helpers/canary.js';
import { createTestLogger } from '../helpers/log-capture.js';
import { isRoot, nobody, shmScratch } from '../deliver/support/scratch.js';

const log = createTestLogger();
const prepared: PreparedWorkload[] = [];
afterEach(async () => {
  for (const workload of prepared.splice(0)) await workload.cleanup();
});

const plan = planFromDefinition(
  parseAppDefinition({
    id: '/tls/app',
    env: { DB_PASSWORD: { secret: 'db' }, PLAIN: 'plain', OPT: { secret: 'opt' } },
    container: {
      volumes: [
        { containerPath: 'secrets/tls/key.pem', secret: 'key' },
        { containerPath: 'db.txt', secret: 'db' },
        { containerPath: 'opt.txt', secret: 'opt' },
      ],
    },
    secrets: { db: { source: 'db' }, key: { source: 'tls/key' }, opt: { source: 'opt' } },
    labels: { SECRETS_AGENT_OPTIONAL: 'opt' },
  }),
);

function secret(
  name: string,
  path: string,
  value: string | Uint8Array | undefined,
  type?: SecretType,
): [string, ResolvedSecret] {
  if (value === undefined) return [name, { name, path, sha256: '', missingOptional: true }];
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  const record = { path, type: type ?? (typeof value === 'string' ? 'text' : 'binary'), bytes } as const;
  return [name, { name, path, record, sha256: createHash('sha256').update(bytes).digest('hex') }];
}

function resolvedOf(entries: Array<[string, ResolvedSecret]>): ResolvedSecrets {
  return new Map(entries);
}

async function prepare(
  resolved: ResolvedSecrets,
  extra: { user?: { uid: number; gid: number } } = {},
): Promise<{ workload: PreparedWorkload; sandbox: string }> {
  const sandbox = await mkdtemp(join(shmScratch(), 'sandbox-'));
  const workload = await prepareWorkload({
    plan,
    resolved,
    sandbox,
    allowDisk: false,
    baseEnv: {
      PATH: '/usr/bin',
      DCOS_SERVICE_ACCOUNT_CREDENTIAL: '{"uid":"agent"}',
      DCOS_SECRETS_PASSWORD: 'agent-pw',
      KEEP: 'k',
    },
    secretRoot: shmScratch(),
    log,
    ...extra,
  });
  prepared.push(workload);
  return { workload, sandbox };
}

describe('prepareWorkload', () => {
  it('builds the env without the agent credentials and writes 0400 files in a 0700 tmpfs dir, linked into the sandbox', async () => {
    const key = new Uint8Array([0, 1, 2, 254, 255]);
    const { workload, sandbox } = await prepare(
      resolvedOf([secret('db', 'db', canaryValue), secret('key', 'tls/key', key), secret('opt', 'opt', undefined)]),
    );
    expect(workload.env).toMatchObject({ PATH: '/usr/bin', KEEP: 'k', PLAIN: 'plain', DB_PASSWORD: canaryValue });
    expect(workload.env).not.toHaveProperty('DCOS_SERVICE_ACCOUNT_CREDENTIAL');
    expect(workload.env).not.toHaveProperty('DCOS_SECRETS_PASSWORD');
    expect(workload.env).not.toHaveProperty('OPT');
    expect(workload.files.map((file) => file.containerPath).sort()).toEqual(['db.txt', 'secrets/tls/key.pem']);
    const keyPath = join(sandbox, 'secrets/tls/key.pem');
    expect((await lstat(keyPath)).isSymbolicLink()).toBe(true);
    expect(new Uint8Array(await readFile(keyPath))).toEqual(key);
    expect((await stat(keyPath)).mode & 0o777).toBe(0o400);
    expect((await stat(workload.secretDir?.path ?? '')).mode & 0o777).toBe(0o700);
    expect(workload.secretDir?.fsType).toBe('tmpfs');
    await expect(lstat(join(sandbox, 'opt.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('re-renders only changed files, adds a newly present optional one, and cleanup removes everything (twice is fine)', async () => {
    const { workload, sandbox } = await prepare(
      resolvedOf([secret('db', 'db', 'one'), secret('key', 'tls/key', 'k'), secret('opt', 'opt', undefined)]),
    );
    const keyTarget = await readlink(join(sandbox, 'secrets/tls/key.pem'));
    const changed = await workload.rerenderFiles(
      resolvedOf([secret('db', 'db', 'two'), secret('key', 'tls/key', 'k'), secret('opt', 'opt', 'now here')]),
    );
    expect(changed.sort()).toEqual(['db.txt', 'opt.txt']);
    expect(await readFile(join(sandbox, 'db.txt'), 'utf8')).toBe('two');
    expect(await readFile(join(sandbox, 'opt.txt'), 'utf8')).toBe('now here');
    expect(await readlink(join(sandbox, 'secrets/tls/key.pem'))).toBe(keyTarget);
    expect(
      await workload.rerenderFiles(
        resolvedOf([secret('db', 'db', 'two'), secret('key', 'tls/key', 'k'), secret('opt', 'opt', 'now here')]),
      ),
    ).toEqual([]);
    const dir = workload.secretDir?.path ?? '';
    await workload.cleanup();
    await workload.cleanup();
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(lstat(join(sandbox, 'secrets'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(lstat(join(sandbox, 'db.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a binary secret bound to an env var, with its pointer, and leaves no file behind', async () => {
    const root = shmScratch();
    const sandbox = await mkdtemp(join(shmScratch(), 'sandbox-'));
    const error = await prepareWorkload({
      plan,
      resolved: resolvedOf([
        secret('db', 'db', new Uint8Array([1, 2]), 'binary'),
        secret('key', 'tls/key', 'k'),
        secret('opt', 'opt', undefined),
      ]),
      sandbox,
      allowDisk: false,
      baseEnv: {},
      secretRoot: root,
      log,
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'ERR_APPDEF_INVALID' });
    expect((error as Error).message).toContain(
      '/env/DB_PASSWORD: secret "db" (source "db") is binary and cannot be an environment variable',
    );
  });

  it('creates no secret directory when no file is delivered', async () => {
    const envOnly = planFromDefinition(
      parseAppDefinition({ env: { A: { secret: 'a' } }, secrets: { a: { source: 'a' } } }),
    );
    const workload = await prepareWorkload({
      plan: envOnly,
      resolved: resolvedOf([secret('a', 'a', 'v')]),
      sandbox: shmScratch(),
      allowDisk: false,
      baseEnv: {},
      log,
    });
    expect(workload.secretDir).toBeUndefined();
    expect(workload.env['A']).toBe('v');
  });

  it('gives files, their directory and the links to the workload user', async (context) => {
    if (!isRoot) context.skip('chown needs root');
    const user = nobody();
    const { workload, sandbox } = await prepare(
      resolvedOf([secret('db', 'db', 'x'), secret('key', 'tls/key', 'k'), secret('opt', 'opt', undefined)]),
      { user },
    );
    const file = await stat(join(sandbox, 'db.txt'));
    expect([file.uid, file.gid, file.mode & 0o777]).toEqual([user.uid, user.gid, 0o400]);
    const dir = await stat(workload.secretDir?.path ?? '');
    expect([dir.uid, dir.mode & 0o777]).toEqual([user.uid, 0o700]);
    expect((await lstat(join(sandbox, 'db.txt'))).uid).toBe(user.uid);
  });
});
