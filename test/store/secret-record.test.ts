import { describe, expect, it } from 'vitest';
import { isSecretsAgentError } from '../../src/core/errors.js';
import { createKeyring } from '../../src/store/keyring.js';
import { decryptSecretRecord, encryptSecretRecord, type StoredSecret } from '../../src/store/secret-record.js';
import { canaryValue } from '../helpers/canary.js';

const secret: StoredSecret = {
  type: 'text',
  bytes: Buffer.from(canaryValue),
  description: 'db password of team-blue',
  labels: ['team-blue', 'db'],
  author: 'alice',
  created: '2024-01-02T03:04:05.000Z',
  updated: '2024-01-02T03:04:05.000Z',
};

function corruptError(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    expect(isSecretsAgentError(error, 'ERR_STORE_CORRUPT')).toBe(true);
    return error as Error;
  }
  throw new Error('expected ERR_STORE_CORRUPT');
}

describe('secret records', () => {
  it('round-trips value and metadata, carrying format version and key id', () => {
    const keyring = createKeyring();
    const blob = encryptSecretRecord(keyring, 'default', 'a/b', secret);
    expect(blob[0]).toBe(1);
    expect(blob.subarray(2, 2 + (blob[1] ?? 0)).toString('ascii')).toBe(keyring.activeKeyId);
    const opened = decryptSecretRecord(keyring, 'default', 'a/b', blob);
    expect({ ...opened, bytes: Buffer.from(opened.bytes) }).toEqual({ ...secret, bytes: Buffer.from(canaryValue) });
  });

  it('writes nothing secret in clear: not the value, description, labels or author', () => {
    const blob = encryptSecretRecord(createKeyring(), 'default', 'a/b', secret).toString('latin1');
    for (const text of [canaryValue, 'db password', 'team-blue', 'alice', '2024-01-02'])
      expect(blob).not.toContain(text);
  });

  it('fails for a record moved to another path or store, or altered', () => {
    const keyring = createKeyring();
    const blob = encryptSecretRecord(keyring, 'default', 'a/b', secret);
    expect(corruptError(() => decryptSecretRecord(keyring, 'default', 'a/c', blob)).message).toBe(
      'Secret `a/c` failed its integrity check: authentication failed',
    );
    corruptError(() => decryptSecretRecord(keyring, 'other', 'a/b', blob));
    const altered = Buffer.from(blob);
    altered[altered.length - 1] = (altered[altered.length - 1] ?? 0) ^ 0x80;
    corruptError(() => decryptSecretRecord(keyring, 'default', 'a/b', altered));
    corruptError(() => decryptSecretRecord(createKeyring(), 'default', 'a/b', blob));
    const otherVersion = Buffer.from(blob);
    otherVersion[0] = 2;
    expect(corruptError(() => decryptSecretRecord(keyring, 'default', 'a/b', otherVersion)).message).toContain(
      'unknown record format',
    );
  });

  it('round-trips binary bytes exactly', () => {
    const keyring = createKeyring();
    const bytes = Uint8Array.from([0x76, 0x61, 0x6c, 0x75, 0x65, 0x85, 0xff, 0x33]);
    const blob = encryptSecretRecord(keyring, 'default', 'bin', { type: 'binary', bytes, created: 'c', updated: 'u' });
    const opened = decryptSecretRecord(keyring, 'default', 'bin', blob);
    expect(opened.type).toBe('binary');
    expect(Buffer.from(opened.bytes).toString('hex')).toBe('76616c756585ff33');
  });
});
