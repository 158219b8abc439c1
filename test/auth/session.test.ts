import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseServiceAccountCredential } from '../../src/auth/credential.js';
import { clearSession, loadSession, saveSession } from '../../src/auth/session.js';
import { makeCredential, makeScratchDir } from './support/keys.js';

describe('saveSession / loadSession', () => {
  it('round-trips url, token, credential and CA file; file 0600 in a 0700 directory', async () => {
    const stateDir = join(await makeScratchDir('session-'), 'nested', 'secrets-agent');
    const credential = parseServiceAccountCredential(makeCredential(), 'test');
    const savedAt = new Date('2024-05-01T12:00:00Z');
    const file = await saveSession({
      stateDir,
      url: 'https://store.example',
      token: 'tok.en.sig',
      credential,
      caFile: '/etc/ca.pem',
      savedAt,
    });
    expect(file).toBe(join(stateDir, 'session.json'));
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await loadSession(stateDir)).toEqual({
      url: 'https://store.example',
      token: 'tok.en.sig',
      credential,
      caFile: '/etc/ca.pem',
      savedAt: savedAt.toISOString(),
    });
  });

  it('replaces atomically and leaves no temp files', async () => {
    const stateDir = await makeScratchDir('session-');
    await saveSession({ stateDir, url: 'https://a', token: 'first' });
    await saveSession({ stateDir, url: 'https://b', token: 'second' });
    expect((await loadSession(stateDir))?.token).toBe('second');
    expect(await readdir(stateDir)).toEqual(['session.json']);
  });

  it('tightens an existing loose state directory to 0700', async () => {
    const stateDir = join(await makeScratchDir('session-'), 'loose');
    await mkdir(stateDir, { mode: 0o755 });
    await chmod(stateDir, 0o755);
    await saveSession({ stateDir, url: 'https://a', token: 't' });
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
  });

  it('returns undefined when there is no session, and clearSession removes one', async () => {
    const stateDir = await makeScratchDir('session-');
    expect(await loadSession(stateDir)).toBeUndefined();
    expect(await clearSession(stateDir)).toBe(false);
    await saveSession({ stateDir, url: 'https://a', token: 't' });
    expect(await clearSession(stateDir)).toBe(true);
    expect(await loadSession(stateDir)).toBeUndefined();
  });

  it('refuses a session file others can read', async () => {
    const stateDir = await makeScratchDir('session-');
    const file = await saveSession({ stateDir, url: 'https://a', token: 't' });
    await chmod(file, 0o644);
    await expect(loadSession(stateDir)).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      message: expect.stringContaining('has mode 0644'),
    });
  });

  it('names the field of a malformed session file without printing the token', async () => {
    const stateDir = await makeScratchDir('session-');
    const file = join(stateDir, 'session.json');
    const write = async (value: unknown): Promise<void> =>
      writeFile(file, typeof value === 'string' ? value : JSON.stringify(value), { mode: 0o600 });
    await write('{"version":1,"token":"secret-token"');
    await expect(loadSession(stateDir)).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      message: `session file ${file}: the document is not valid JSON`,
    });
    await write({ version: 1, url: 'https://a', token: 'secret-token' });
    await expect(loadSession(stateDir)).rejects.toMatchObject({
      message: expect.stringContaining('/savedAt must be an ISO 8601 time'),
    });
    await write({ version: 2, url: 'https://a', token: 'secret-token', savedAt: new Date().toISOString() });
    await expect(loadSession(stateDir)).rejects.toMatchObject({
      message: expect.stringContaining('/version must be 1'),
    });
    await write({
      version: 1,
      url: 'https://a',
      token: 'secret-token',
      savedAt: new Date().toISOString(),
      credential: makeCredential({ uid: '' }),
    });
    await expect(loadSession(stateDir)).rejects.toMatchObject({
      code: 'ERR_AUTH_CREDENTIAL_INVALID',
      message: expect.stringContaining('/credential: /uid'),
    });
    const rejection = await loadSession(stateDir).catch((error: Error) => error.message);
    expect(rejection).not.toContain('secret-token');
  });

  it('never writes a password: only what was asked', async () => {
    const stateDir = await makeScratchDir('session-');
    const file = await saveSession({ stateDir, url: 'https://a', token: 't' });
    expect(Object.keys(JSON.parse(await readFile(file, 'utf8')) as object).sort()).toEqual([
      'savedAt',
      'token',
      'url',
      'version',
    ]);
  });
});
