import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeyring } from '../../src/store/keyring.js';
import { openCachedRecord } from '../../src/store/opened-record-cache.js';
import type { StoredSecret } from '../../src/store/secret-record.js';
import { canaryValue } from '../helpers/canary.js';

const secret = (text: string): StoredSecret => ({ type: 'text', bytes: new Uint8Array(Buffer.from(text)), created: 'c', updated: 'u' });

describe('openCachedRecord', () => {
  it('decrypts once per ciphertext and keyring; a changed ciphertext or a new keyring decrypts again', () => {
    const keyring = createKeyring();
    const blob = randomBytes(64);
    let decrypts = 0;
    const open = (bytes: Uint8Array, ring = keyring, path = 'default/a'): StoredSecret =>
      openCachedRecord(ring, path, bytes, () => {
        decrypts += 1;
        return secret(canaryValue);
      });
    expect(Buffer.from(open(blob).bytes).toString()).toBe(canaryValue);
    expect(Buffer.from(open(Uint8Array.from(blob)).bytes).toString()).toBe(canaryValue);
    expect(decrypts).toBe(1);
    const rewritten = Buffer.from(blob);
    rewritten[0] = (rewritten[0] ?? 0) ^ 1;
    open(rewritten);
    expect(decrypts).toBe(2);
    open(blob, keyring, 'default/b');
    expect(decrypts).toBe(3);
    open(blob, createKeyring());
    expect(decrypts).toBe(4);
  });

  it('hands out copies: a caller wiping its bytes does not wipe the cache', () => {
    const keyring = createKeyring();
    const blob = randomBytes(32);
    const first = openCachedRecord(keyring, 'default/x', blob, () => secret('value-1'));
    first.bytes.fill(0);
    const second = openCachedRecord(keyring, 'default/x', blob, () => secret('never'));
    expect(Buffer.from(second.bytes).toString()).toBe('value-1');
  });

  it('a wiped keyring (seal) drops its cache', () => {
    const keyring = createKeyring();
    const blob = randomBytes(32);
    let decrypts = 0;
    const decrypt = (): StoredSecret => {
      decrypts += 1;
      return secret('v');
    };
    openCachedRecord(keyring, 'default/x', blob, decrypt);
    keyring.wipe();
    openCachedRecord(keyring, 'default/x', blob, decrypt);
    expect(decrypts).toBe(2);
  });
});
