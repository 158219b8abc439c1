import { describe, expect, it } from 'vitest';
import { isSecretsAgentError } from '../../src/core/errors.js';
import { generateAesKey } from '../../src/crypto/aes-gcm.js';
import { createKeyring, openKeyring, sealKeyring } from '../../src/store/keyring.js';

describe('keyring', () => {
  it('seals under the unseal key and opens only with it, for the same store', () => {
    const keyring = createKeyring();
    const unsealKey = generateAesKey();
    const sealed = sealKeyring(keyring, unsealKey, 'default');
    // The data key is not in the sealed form.
    expect(sealed.includes(keyring.activeKey)).toBe(false);
    const opened = openKeyring(sealed, unsealKey, 'default');
    expect(opened?.activeKeyId).toBe(keyring.activeKeyId);
    expect(opened?.activeKey.equals(keyring.activeKey)).toBe(true);
    expect(openKeyring(sealed, generateAesKey(), 'default')).toBeUndefined();
    expect(openKeyring(sealed, unsealKey, 'other')).toBeUndefined();
  });

  it('wipe() zeroes and forgets the data keys', () => {
    const keyring = createKeyring();
    const key = keyring.activeKey;
    keyring.wipe();
    expect(key.every((byte) => byte === 0)).toBe(true);
    expect(keyring.key(keyring.activeKeyId)).toBeUndefined();
    let caught: unknown;
    try {
      void keyring.activeKey;
    } catch (error) {
      caught = error;
    }
    expect(isSecretsAgentError(caught, 'ERR_STORE_SEALED')).toBe(true);
  });

  it('reports an unknown format version as corrupt', () => {
    const sealed = sealKeyring(createKeyring(), generateAesKey(), 'default');
    sealed[0] = 9;
    let caught: unknown;
    try {
      openKeyring(sealed, generateAesKey(), 'default');
    } catch (error) {
      caught = error;
    }
    expect(isSecretsAgentError(caught, 'ERR_STORE_CORRUPT')).toBe(true);
  });
});
