import { createHash } from 'node:crypto';
import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAppDefinition } from '../../src/appdef/index.js';
import { planFromDefinition } from '../../src/agent/load-plan.js';
import { resolveSecrets } from '../../src/agent/resolve-secrets.js';
import { SecretsAgentError } from '../../src/core/errors.js';
import {
  encryptToPgpKeys,
  generatePgpKeyPair,
  readPgpPrivateKey,
  readPgpPublicKey,
  type PgpPrivateKey,
  type PgpPublicKey,
} from '../../src/crypto/openpgp.js';
import { canaryValue } from '../helpers/canary.js';
import { createTestLogger } from '../helpers/log-capture.js';
import { createMemorySource } from './support/memory-source.js';

const log = createTestLogger();
const noJitter = { random: () => 0, baseDelayMs: 1, maxDelayMs: 1 };

function planOf(definition: unknown, optional?: string[]) {
  return planFromDefinition(parseAppDefinition(definition, optional === undefined ? {} : { optional }));
}

const twiceUsed = {
  id: '/team/app',
  env: { DB_PASSWORD: { secret: 'db' }, ALSO_DB: { secret: 'dbAlias' }, TOKEN: { secret: 'token' } },
  container: { volumes: [{ containerPath: 'secrets/db', secret: 'db' }] },
  secrets: { db: { source: 'team/db' }, dbAlias: { source: 'team/db' }, token: { source: 'token' } },
};

describe('resolveSecrets', () => {
  it('fetches each path once however often the definition uses it, and reports every name', async () => {
    const source = createMemorySource();
    source.set('team/db', canaryValue);
    source.set('token', 't0k');
    const resolved = await resolveSecrets({ plan: planOf(twiceUsed), source, timeoutMs: 5000, log });
    expect(Object.fromEntries(source.calls)).toEqual({ 'team/db': 1, token: 1 });
    expect([...resolved.keys()].sort()).toEqual(['db', 'dbAlias', 'token']);
    expect(resolved.get('dbAlias')).toMatchObject({
      name: 'dbAlias',
      path: 'team/db',
      sha256: createHash('sha256').update(canaryValue).digest('hex'),
    });
    expect(Buffer.from(resolved.get('db')?.record?.bytes ?? []).toString()).toBe(canaryValue);
  });

  it('skips an absent optional secret (label or option) but fails closed on an absent required one', async () => {
    const source = createMemorySource();
    source.set('team/db', 'x');
    const resolved = await resolveSecrets({ plan: planOf(twiceUsed, ['token']), source, timeoutMs: 5000, log });
    expect(resolved.get('token')).toEqual({ name: 'token', path: 'token', sha256: '', missingOptional: true });
    const extra = await resolveSecrets({
      plan: planOf(twiceUsed),
      source,
      optional: new Set(['token']),
      timeoutMs: 5000,
      log,
    });
    expect(extra.get('token')?.missingOptional).toBe(true);
    await expect(resolveSecrets({ plan: planOf(twiceUsed), source, timeoutMs: 5000, log })).rejects.toMatchObject({
      code: 'ERR_SECRET_NOT_FOUND',
      message: 'Cannot read secret `token`: Secret `token` does not exist',
    });
  });

  it('retries 5xx and unreachable errors with backoff, and gives up after maxAttempts', async () => {
    const source = createMemorySource();
    source.set('team/db', 'x');
    source.set('token', 'y');
    source.failNext('team/db', new SecretsAgentError('ERR_STORE_UNREACHABLE', 'connect ECONNREFUSED'), 2);
    source.failNext(
      'token',
      new SecretsAgentError('ERR_HTTP_UNEXPECTED', 'Bad Gateway (HTTP 502)', { details: { status: 502 } }),
      1,
    );
    await resolveSecrets({ plan: planOf(twiceUsed), source, timeoutMs: 5000, retry: noJitter, log });
    expect(Object.fromEntries(source.calls)).toEqual({ 'team/db': 3, token: 2 });

    const sealed = createMemorySource();
    sealed.set('token', 'y');
    sealed.failNext('team/db', new SecretsAgentError('ERR_STORE_SEALED', 'store is sealed'), 99);
    await expect(
      resolveSecrets({
        plan: planOf(twiceUsed),
        source: sealed,
        timeoutMs: 5000,
        retry: { ...noJitter, maxAttempts: 3 },
        log,
      }),
    ).rejects.toMatchObject({
      code: 'ERR_STORE_SEALED',
      message: 'Cannot read secret `team/db`: store is sealed',
    });
    expect(sealed.calls.get('team/db')).toBe(3);
  });

  it('does not retry 4xx answers (forbidden, not found)', async () => {
    const source = createMemorySource();
    source.set('token', 'y');
    source.set('team/db', 'x');
    source.failNext(
      'team/db',
      new SecretsAgentError('ERR_FORBIDDEN', 'permission `dcos:secrets:default:/team/db` `read` is required'),
      5,
    );
    await expect(
      resolveSecrets({ plan: planOf(twiceUsed), source, timeoutMs: 5000, retry: noJitter, log }),
    ).rejects.toMatchObject({ code: 'ERR_FORBIDDEN' });
    expect(source.calls.get('team/db')).toBe(1);
  });

  it('ends at the total deadline with ERR_TIMEOUT naming the path that did not answer', async () => {
    const source = createMemorySource();
    source.set('token', 'y');
    source.hang('team/db');
    const error = await resolveSecrets({ plan: planOf(twiceUsed), source, timeoutMs: 50, log }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'ERR_TIMEOUT', details: { secretPath: 'team/db' } });
    expect((error as Error).message).toMatch(/^Cannot read secret `team\/db`: timed out after 50 ms/);
  });

  it('names every failed path in details and the count in the one-line message', async () => {
    const source = createMemorySource();
    const error = await resolveSecrets({ plan: planOf(twiceUsed), source, timeoutMs: 5000, log }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'ERR_SECRET_NOT_FOUND', details: { failedPaths: ['team/db', 'token'] } });
    expect((error as Error).message).toBe(
      'Cannot read secret `team/db`: Secret `team/db` does not exist (and 1 more secret failed)',
    );
    expect((error as Error).message).not.toContain('\n');
  });

  it('rejects a non-positive timeout', async () => {
    await expect(
      resolveSecrets({ plan: planOf(twiceUsed), source: createMemorySource(), timeoutMs: 0, log }),
    ).rejects.toMatchObject({ code: 'ERR_USAGE' });
  });
});

describe('resolveSecrets with OpenPGP-encrypted values', () => {
  let privateKey: PgpPrivateKey;
  let publicKey: PgpPublicKey;
  let otherPublic: PgpPublicKey;
  const plan = planOf({
    env: { ARMORED: { secret: 'armored' }, PLAIN: { secret: 'plain' } },
    container: { volumes: [{ containerPath: 'bin', secret: 'binary' }] },
    secrets: { armored: { source: 'armored' }, plain: { source: 'plain' }, binary: { source: 'binary' } },
  });

  beforeAll(async () => {
    const pair = await generatePgpKeyPair({ name: 'node', rsaBits: 2048 });
    privateKey = await readPgpPrivateKey(pair.privateKeyArmored, 'test key');
    publicKey = await readPgpPublicKey(pair.publicKeyArmored, 'test key');
    otherPublic = (
      await readPgpPrivateKey((await generatePgpKeyPair({ name: 'other', rsaBits: 2048 })).privateKeyArmored, 'other')
    ).toPublic();
  });

  it('decrypts armored (text) and binary messages with the node key; plain values pass unchanged', async () => {
    const armoredKey = await openpgp.readKey({ armoredKey: publicKey.armor() });
    const armored = await openpgp.encrypt({
      message: await openpgp.createMessage({ binary: new TextEncoder().encode(canaryValue) }),
      encryptionKeys: armoredKey,
      format: 'armored',
    });
    const binaryPlain = new Uint8Array([0, 159, 146, 150, 255]);
    const source = createMemorySource();
    source.set('armored', armored);
    source.set('plain', 'not encrypted');
    source.set('binary', await encryptToPgpKeys(binaryPlain, [publicKey]), 'binary');
    const resolved = await resolveSecrets({ plan, source, pgpPrivateKey: privateKey, timeoutMs: 20_000, log });
    expect(resolved.get('armored')).toMatchObject({ decrypted: true, record: { type: 'text' } });
    expect(Buffer.from(resolved.get('armored')?.record?.bytes ?? []).toString()).toBe(canaryValue);
    expect(resolved.get('plain')?.decrypted).toBeUndefined();
    expect(resolved.get('binary')).toMatchObject({ decrypted: true, record: { type: 'binary', bytes: binaryPlain } });
    expect(resolved.get('binary')?.sha256).toBe(createHash('sha256').update(binaryPlain).digest('hex'));
  });

  it('fails closed, naming the path, when a message is encrypted to another key', async () => {
    const source = createMemorySource();
    source.set('armored', 'x');
    source.set('plain', 'y');
    source.set('binary', await encryptToPgpKeys(new TextEncoder().encode(canaryValue), [otherPublic]), 'binary');
    const error = await resolveSecrets({ plan, source, pgpPrivateKey: privateKey, timeoutMs: 20_000, log }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toMatchObject({ code: 'ERR_SECRET_DECRYPT_FAILED' });
    expect((error as Error).message).toMatch(/^Cannot read secret `binary`: OpenPGP message could not be decrypted/);
  });

  it('delivers OpenPGP messages as stored when no node key is given', async () => {
    const source = createMemorySource();
    const message = await encryptToPgpKeys(new TextEncoder().encode('x'), [publicKey]);
    source.set('armored', 'a');
    source.set('plain', 'b');
    source.set('binary', message, 'binary');
    const resolved = await resolveSecrets({ plan, source, timeoutMs: 5000, log });
    expect(resolved.get('binary')?.record?.bytes).toEqual(message);
  });
});
