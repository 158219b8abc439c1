import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveAuthMethod } from '../../src/auth/auth-method.js';
import { makeCredential, makeScratchDir } from './support/keys.js';

describe('resolveAuthMethod (docs/decisions.md#agent order)', () => {
  it('1. --credential-file wins over everything', async () => {
    const dir = await makeScratchDir('auth-method-');
    const file = join(dir, 'credential.json');
    await writeFile(file, JSON.stringify(makeCredential({ uid: 'from-file' })), { mode: 0o600 });
    const method = resolveAuthMethod({
      credentialFile: file,
      tokenFile: '/nonexistent/token',
      env: {
        DCOS_SERVICE_ACCOUNT_CREDENTIAL: JSON.stringify(makeCredential({ uid: 'from-env' })),
        DCOS_SECRETS_USERNAME: 'u',
        DCOS_SECRETS_PASSWORD: 'p',
      },
    });
    expect(method).toMatchObject({
      kind: 'service-account',
      source: '--credential-file',
      credential: { uid: 'from-file' },
    });
  });

  it('1. then DCOS_SERVICE_ACCOUNT_CREDENTIAL, inline JSON', () => {
    const method = resolveAuthMethod({
      tokenFile: '/t',
      env: { DCOS_SERVICE_ACCOUNT_CREDENTIAL: JSON.stringify(makeCredential({ uid: 'from-env' })) },
    });
    expect(method).toMatchObject({
      kind: 'service-account',
      source: 'DCOS_SERVICE_ACCOUNT_CREDENTIAL',
      credential: { uid: 'from-env' },
    });
  });

  it('2. then --token-file (not read yet: the provider reads it)', () => {
    expect(
      resolveAuthMethod({ tokenFile: '/run/token', env: { DCOS_SECRETS_USERNAME: 'u', DCOS_SECRETS_PASSWORD: 'p' } }),
    ).toEqual({ kind: 'token-file', file: '/run/token' });
  });

  it('3. then username and password, from flags or the Portworx variables', () => {
    expect(resolveAuthMethod({ env: { DCOS_SECRETS_USERNAME: 'px', DCOS_SECRETS_PASSWORD: 'pw' } })).toEqual({
      kind: 'password',
      uid: 'px',
      password: 'pw',
      source: 'DCOS_SECRETS_USERNAME',
    });
    expect(resolveAuthMethod({ username: 'flag-user', password: 'pw2', env: { DCOS_SECRETS_USERNAME: 'px' } })).toEqual(
      { kind: 'password', uid: 'flag-user', password: 'pw2', source: '--username' },
    );
  });

  it('none → undefined; blank values count as absent', () => {
    expect(resolveAuthMethod({ env: {} })).toBeUndefined();
    expect(
      resolveAuthMethod({ credentialFile: ' ', tokenFile: '', env: { DCOS_SERVICE_ACCOUNT_CREDENTIAL: '' } }),
    ).toBeUndefined();
  });

  it('half a username/password pair is an error naming the missing half', () => {
    expect(() => resolveAuthMethod({ env: { DCOS_SECRETS_USERNAME: 'px' } })).toThrow(
      'username `px` (from DCOS_SECRETS_USERNAME) has no password: set DCOS_SECRETS_PASSWORD',
    );
    expect(() => resolveAuthMethod({ env: { DCOS_SECRETS_PASSWORD: 'pw' } })).toThrow(
      /a password is set but no username/,
    );
  });

  it('a malformed env credential fails with ERR_AUTH_CREDENTIAL_INVALID naming the variable and field', () => {
    expect(() =>
      resolveAuthMethod({
        env: { DCOS_SERVICE_ACCOUNT_CREDENTIAL: JSON.stringify(makeCredential({ scheme: 'none' })) },
      }),
    ).toThrow('credential from DCOS_SERVICE_ACCOUNT_CREDENTIAL: /scheme must be "RS256", got "none"');
  });
});
