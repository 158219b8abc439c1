import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { loadServiceAccountCredential, parseServiceAccountCredential } from '../../src/auth/credential.js';
import { isSecretsAgentError } from '../../src/core/errors.js';
import { getServiceKeyPair, makeCredential, makeScratchDir } from './support/keys.js';

// The message of the ERR_AUTH_CREDENTIAL_INVALID thrown by `run`; fails the test on anything else.
function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isSecretsAgentError(error, 'ERR_AUTH_CREDENTIAL_INVALID')) return error.message;
    throw error;
  }
  throw new Error('expected ERR_AUTH_CREDENTIAL_INVALID');
}

const keyBody = (): string => getServiceKeyPair().privatePem.split('\n')[1] as string;

describe('parseServiceAccountCredential', () => {
  it('accepts the credential DC/OS stores (docs/wire-formats.md#service-account-credential)', () => {
    expect(parseServiceAccountCredential(makeCredential(), 'test')).toEqual(makeCredential());
  });

  it('accepts a PKCS#1 `BEGIN RSA PRIVATE KEY` key as dcos CLI keypairs are', () => {
    const pkcs1 = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs1', format: 'pem' })
      .toString();
    expect(parseServiceAccountCredential(makeCredential({ private_key: pkcs1 }), 'test').private_key).toBe(pkcs1);
  });

  it.each([
    ['not an object', '[]', 'the document must be a JSON object'],
    ['scheme missing', makeCredential({ scheme: undefined }), '/scheme is missing'],
    ['scheme not RS256', makeCredential({ scheme: 'HS256' }), '/scheme must be "RS256", got "HS256"'],
    ['uid missing', makeCredential({ uid: undefined }), '/uid is missing'],
    ['uid empty', makeCredential({ uid: ' ' }), '/uid must be a non-empty string'],
    ['uid not a string', makeCredential({ uid: 7 }), '/uid must be a non-empty string'],
    ['login_endpoint missing', makeCredential({ login_endpoint: undefined }), '/login_endpoint is missing'],
    [
      'login_endpoint not a URL',
      makeCredential({ login_endpoint: 'leader.mesos/login' }),
      '/login_endpoint must be an http(s) URL',
    ],
    [
      'login_endpoint not http',
      makeCredential({ login_endpoint: 'ftp://leader.mesos/' }),
      '/login_endpoint must be an http(s) URL',
    ],
    ['private_key missing', makeCredential({ private_key: undefined }), '/private_key is missing'],
    ['private_key not a string', makeCredential({ private_key: 42 }), '/private_key must be a non-empty string'],
    [
      'private_key not PEM',
      makeCredential({ private_key: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC' }),
      '/private_key is not a PEM private key',
    ],
  ])('%s → names the field', (_name, value, expected) => {
    const message = messageOf(() =>
      parseServiceAccountCredential(value === '[]' ? [] : value, 'DCOS_SERVICE_ACCOUNT_CREDENTIAL'),
    );
    expect(message).toContain('credential from DCOS_SERVICE_ACCOUNT_CREDENTIAL');
    expect(message).toContain(expected);
  });

  it('a corrupt private key is named, and its text is not printed', () => {
    const corrupt = getServiceKeyPair().privatePem.replace(keyBody(), 'A'.repeat(64));
    const message = messageOf(() => parseServiceAccountCredential(makeCredential({ private_key: corrupt }), 'test'));
    expect(message).toContain('/private_key cannot be read as a private key');
    expect(message).not.toContain('AAAA');
  });

  it('refuses a non-RSA key (RS256 needs RSA)', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    expect(messageOf(() => parseServiceAccountCredential(makeCredential({ private_key: ec }), 'test'))).toContain(
      '/private_key must be an RSA key (RS256), got ec',
    );
  });
});

describe('loadServiceAccountCredential', () => {
  it('reads inline JSON (the env var holds the document itself)', () => {
    expect(
      loadServiceAccountCredential(` ${JSON.stringify(makeCredential())}\n`, 'DCOS_SERVICE_ACCOUNT_CREDENTIAL').uid,
    ).toBe('dcos-service');
  });

  it('reads a file path', async () => {
    const dir = await makeScratchDir('credential-');
    const file = join(dir, 'credential.json');
    await writeFile(file, JSON.stringify(makeCredential()), { mode: 0o600 });
    expect(loadServiceAccountCredential(file, '--credential-file').uid).toBe('dcos-service');
  });

  it('names the source and file of a broken credential without quoting its text', async () => {
    const dir = await makeScratchDir('credential-');
    const file = join(dir, 'broken.json');
    const broken = JSON.stringify(makeCredential()).slice(0, -5);
    await writeFile(file, broken, { mode: 0o600 });
    const message = messageOf(() => loadServiceAccountCredential(file, '--credential-file'));
    expect(message).toBe(`credential from --credential-file ${file}: the document is not valid JSON`);
    const inline = messageOf(() => loadServiceAccountCredential(broken, 'DCOS_SERVICE_ACCOUNT_CREDENTIAL'));
    expect(inline).not.toContain(keyBody().slice(0, 20));
  });

  it('reports a missing file and an empty value', () => {
    expect(
      messageOf(() => loadServiceAccountCredential('/nonexistent/credential.json', '--credential-file')),
    ).toContain('cannot read the file (ENOENT)');
    expect(messageOf(() => loadServiceAccountCredential('  ', 'DCOS_SERVICE_ACCOUNT_CREDENTIAL'))).toContain(
      'is empty',
    );
  });

  it('refuses a file too large to be a credential', async () => {
    const dir = await makeScratchDir('credential-');
    const file = join(dir, 'huge.json');
    await writeFile(file, Buffer.alloc(70 * 1024, 0x20));
    expect(messageOf(() => loadServiceAccountCredential(file, '--credential-file'))).toContain('larger than 65536');
  });
});
