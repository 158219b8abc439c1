// Recently opened (decrypted) secret records, so a hot secret costs one AES-GCM open per change
// instead of one per GET (decrypt and metadata parse were ~40% of a GET's CPU; see the store-get
// bench). An entry is served only while the ciphertext in storage is byte-for-byte the one it was
// opened from (every write draws a fresh nonce, so any write changes it) and under the keyring it
// was opened with; the cache belongs to that keyring and is wiped with it on seal: every plaintext
// it holds, and every rendering, is zeroed then (issue 12.3: a sealed store keeps no value).
// An entry also keeps what the GET route renders from it (the JSON answer), so a hot secret is
// serialized once per change too. Answers are sent from copies of a rendering (each zeroed once
// sent), never from the rendering itself, so zeroing it cannot garble an answer in flight.
import type { StoredSecret } from './secret-record.js';
import type { Keyring } from './keyring.js';
import { copySecretBuffer } from '../crypto/secret-buffer.js';

const maxEntries = 4096;
const maxTotalBytes = 16 * 1024 * 1024;
/** One entry may hold at most this much (ciphertext + plaintext); bigger records are opened every time. */
const maxEntryBytes = maxTotalBytes / 16;

/** An opened record as the cache holds it: shared, so read `secret` during `use` and copy what you keep. */
export interface OpenedRecord {
  readonly secret: StoredSecret;
  /** `render(secret)`, computed once per opened record (for the last `render` given). Valid only
   * during `use`: copy what you keep; never modify it. */
  rendered(render: (secret: StoredSecret) => Buffer): Buffer;
}

class CachedRecord implements OpenedRecord {
  readonly blob: Buffer;
  readonly secret: StoredSecret;
  /** What this entry counts against maxTotalBytes (ciphertext + plaintext; a rendering adds at most as much again). */
  readonly sizeBytes: number;
  #render: ((secret: StoredSecret) => Buffer) | undefined;
  #rendered: Buffer | undefined;

  constructor(blob: Buffer, secret: StoredSecret, sizeBytes: number) {
    this.blob = blob;
    this.secret = secret;
    this.sizeBytes = sizeBytes;
  }

  rendered(render: (secret: StoredSecret) => Buffer): Buffer {
    if (this.#render === render && this.#rendered !== undefined) return this.#rendered;
    const output = render(this.secret);
    // Kept only while it at most doubles the entry, so the cache stays within 2 x maxTotalBytes
    // (JSON escaping can make a rendering several times the size of the value).
    if (output.byteLength <= this.sizeBytes) {
      this.#rendered?.fill(0);
      this.#render = render;
      this.#rendered = output;
    } else {
      scratch.push(output);
    }
    return output;
  }

  // Zeroes the plaintext and the rendering.
  wipe(): void {
    this.secret.bytes.fill(0);
    this.#rendered?.fill(0);
    this.#rendered = undefined;
    this.#render = undefined;
  }
}

// Wraps a record too big to cache, for one `use`; never memoises a rendering.
class TransientRecord implements OpenedRecord {
  readonly secret: StoredSecret;

  constructor(secret: StoredSecret) {
    this.secret = secret;
  }

  rendered(render: (secret: StoredSecret) => Buffer): Buffer {
    const output = render(this.secret);
    scratch.push(output);
    return output;
  }
}

// Renderings made during a `use` and kept by nobody: zeroed when it returns.
const scratch: Buffer[] = [];

function wipeScratch(): void {
  for (const buffer of scratch.splice(0)) buffer.fill(0);
}

class OpenedRecordCache {
  readonly #entries = new Map<string, CachedRecord>();
  #totalBytes = 0;

  // Hands out copies: the caller owns (and may wipe) what it gets back.
  open(path: string, blob: Uint8Array, decrypt: () => StoredSecret): StoredSecret {
    const hit = this.#lookup(path, blob);
    if (hit !== undefined) return { ...hit.secret, bytes: copySecretBuffer(hit.secret.bytes) };
    const secret = decrypt();
    this.#remember(path, blob, { ...secret, bytes: copySecretBuffer(secret.bytes) });
    return secret;
  }

  // Hands `use` the shared entry, synchronously, so nothing (a seal, an eviction) can wipe it in between.
  use<T>(path: string, blob: Uint8Array, decrypt: () => StoredSecret, use: (opened: OpenedRecord) => T): T {
    try {
      const hit = this.#lookup(path, blob);
      if (hit !== undefined) return use(hit);
      // Freshly decrypted and not handed to anyone: the cache can keep this very object.
      const secret = decrypt();
      const entry = this.#remember(path, blob, secret);
      if (entry !== undefined) return use(entry);
      try {
        return use(new TransientRecord(secret));
      } finally {
        secret.bytes.fill(0);
      }
    } finally {
      wipeScratch();
    }
  }

  clear(): void {
    for (const path of [...this.#entries.keys()]) this.#forget(path);
  }

  #lookup(path: string, blob: Uint8Array): CachedRecord | undefined {
    const hit = this.#entries.get(path);
    return hit !== undefined && hit.blob.equals(blob) ? hit : undefined;
  }

  // Replaces the entry of `path`; undefined when the record is too big to keep.
  #remember(path: string, blob: Uint8Array, secret: StoredSecret): CachedRecord | undefined {
    this.#forget(path);
    const size = blob.byteLength + secret.bytes.byteLength;
    if (size > maxEntryBytes) return undefined;
    while (this.#entries.size >= maxEntries || this.#totalBytes + size > maxTotalBytes) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#forget(oldest.value);
    }
    const entry = new CachedRecord(Buffer.from(blob), secret, size);
    this.#entries.set(path, entry);
    this.#totalBytes += size;
    return entry;
  }

  #forget(path: string): void {
    const entry = this.#entries.get(path);
    if (entry === undefined) return;
    entry.wipe();
    this.#entries.delete(path);
    this.#totalBytes -= entry.sizeBytes;
  }
}

const caches = new WeakMap<Keyring, OpenedRecordCache>();

function cacheOf(keyring: Keyring): OpenedRecordCache {
  let cache = caches.get(keyring);
  if (cache === undefined) {
    const created = new OpenedRecordCache();
    keyring.onWipe(() => {
      created.clear();
      caches.delete(keyring);
    });
    caches.set(keyring, created);
    cache = created;
  }
  return cache;
}

// Opens `blob` (the stored record of `path`) with `decrypt`, or answers from the keyring's cache; a copy either way.
export function openCachedRecord(
  keyring: Keyring,
  path: string,
  blob: Uint8Array,
  decrypt: () => StoredSecret,
): StoredSecret {
  return cacheOf(keyring).open(path, blob, decrypt);
}

// Like openCachedRecord, without the copy: `use` reads the cached record (and its memoised
// rendering) in the same tick and returns what it needs as its own copy.
export function useCachedRecord<T>(
  keyring: Keyring,
  path: string,
  blob: Uint8Array,
  decrypt: () => StoredSecret,
  use: (opened: OpenedRecord) => T,
): T {
  return cacheOf(keyring).use(path, blob, decrypt, use);
}
