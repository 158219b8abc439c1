import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeyring, type Keyring } from '../../src/store/keyring.js';
import { openCachedRecord, useCachedRecord, type OpenedRecord } from '../../src/store/opened-record-cache.js';
import type { StoredSecret } from '../../src/store/secret-record.js';
import { canaryValue } from '../helpers/canary.js';

const secret = (text: string): StoredSecret => ({
  type: 'text',
  bytes: new Uint8Array(Buffer.from(text)),
  created: 'c',
  updated: 'u',
});

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

describe('useCachedRecord (the GET route: shared record, memoised rendering)', () => {
  const render = (opened: OpenedRecord['secret']): Buffer =>
    Buffer.from(JSON.stringify({ value: Buffer.from(opened.bytes).toString() }));

  // Counts decrypts and renderings; `use` reads the value and the rendering as the route does.
  function counter(value: string) {
    const counts = { decrypts: 0, renders: 0 };
    const decrypt = (): StoredSecret => {
      counts.decrypts += 1;
      return secret(value);
    };
    const countingRender = (stored: StoredSecret): Buffer => {
      counts.renders += 1;
      return render(stored);
    };
    const read = (keyring: Keyring, blob: Uint8Array, path = 'default/a'): { value: string; rendered: Buffer } =>
      useCachedRecord(keyring, path, blob, decrypt, (opened) => ({
        value: Buffer.from(opened.secret.bytes).toString(),
        rendered: opened.rendered(countingRender),
      }));
    return { counts, read };
  }

  it('decrypts and renders once per ciphertext; the same rendering serves every hit', () => {
    const keyring = createKeyring();
    const blob = randomBytes(64);
    const { counts, read } = counter(canaryValue);
    const first = read(keyring, blob);
    const second = read(keyring, Uint8Array.from(blob));
    expect(first.value).toBe(canaryValue);
    expect(JSON.parse(second.rendered.toString())).toEqual({ value: canaryValue });
    expect(second.rendered).toBe(first.rendered);
    expect(counts).toEqual({ decrypts: 1, renders: 1 });
  });

  it('a rewritten record (new ciphertext) is decrypted and rendered again', () => {
    const keyring = createKeyring();
    const blob = randomBytes(64);
    const { counts, read } = counter('v1');
    const before = read(keyring, blob).rendered;
    const rewritten = Buffer.from(blob);
    rewritten[10] = (rewritten[10] ?? 0) ^ 1;
    const after = read(keyring, rewritten).rendered;
    expect(after).not.toBe(before);
    expect(counts).toEqual({ decrypts: 2, renders: 2 });
  });

  it("issue 12.3: a seal (keyring wipe) zeroes the cached plaintext and rendering; an answer's own copy stays intact", () => {
    const keyring = createKeyring();
    const blob = randomBytes(64);
    let shared: StoredSecret | undefined;
    let cachedRendering: Buffer | undefined;
    const answer = useCachedRecord(
      keyring,
      'default/a',
      blob,
      () => secret(canaryValue),
      (opened) => {
        shared = opened.secret;
        cachedRendering = opened.rendered(render);
        return Buffer.from(cachedRendering);
      },
    );
    keyring.wipe();
    expect(shared?.bytes.every((byte) => byte === 0)).toBe(true);
    expect(cachedRendering?.every((byte) => byte === 0)).toBe(true);
    expect(JSON.parse(answer.toString())).toEqual({ value: canaryValue });
    // Nothing survives the seal: the next keyring decrypts and renders afresh.
    const { counts, read } = counter(canaryValue);
    read(createKeyring(), blob);
    expect(counts).toEqual({ decrypts: 1, renders: 1 });
  });

  it('a different render function gets its own rendering', () => {
    const keyring = createKeyring();
    const blob = randomBytes(64);
    const other = (stored: StoredSecret): Buffer => Buffer.from(`other:${Buffer.from(stored.bytes).toString()}`);
    const use = (fn: (stored: StoredSecret) => Buffer): string =>
      useCachedRecord(
        keyring,
        'default/a',
        blob,
        () => secret('v'),
        (opened) => opened.rendered(fn).toString(),
      );
    expect(use(render)).toBe('{"value":"v"}');
    expect(use(other)).toBe('other:v');
    expect(use(render)).toBe('{"value":"v"}');
  });

  it('shares entries with openCachedRecord, whose copies stay the caller’s', () => {
    const keyring = createKeyring();
    const blob = randomBytes(64);
    const { counts, read } = counter('value-1');
    read(keyring, blob);
    const copy = openCachedRecord(keyring, 'default/a', blob, () => secret('never'));
    copy.bytes.fill(0);
    expect(read(keyring, blob).value).toBe('value-1');
    expect(counts.decrypts).toBe(1);
  });

  it('a record too big to cache is decrypted on every read and its plaintext zeroed after use', () => {
    const keyring = createKeyring();
    const blob = randomBytes(600 * 1024);
    const big = 'x'.repeat(600 * 1024);
    const { counts, read } = counter(big);
    let seen: StoredSecret | undefined;
    expect(read(keyring, blob).value).toBe(big);
    useCachedRecord(
      keyring,
      'default/a',
      blob,
      () => secret(big),
      (opened) => {
        seen = opened.secret;
      },
    );
    expect(seen?.bytes.every((byte) => byte === 0)).toBe(true);
    read(keyring, blob);
    expect(counts).toEqual({ decrypts: 2, renders: 2 });
  });

  it('does not keep a rendering bigger than its entry (JSON escaping can multiply the size)', () => {
    const keyring = createKeyring();
    const blob = randomBytes(16);
    // Control characters: JSON writes each one as a 6-character \u escape.
    const { counts, read } = counter('\u0001'.repeat(1000));
    const first = read(keyring, blob).rendered;
    read(keyring, blob);
    expect(first.length).toBeGreaterThan(6000);
    expect(counts).toEqual({ decrypts: 1, renders: 2 });
  });
});
