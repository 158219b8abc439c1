// Recently opened (decrypted) secret records, so a hot secret costs one AES-GCM open per change
// instead of one per GET (decrypt and metadata parse were ~40% of a GET's CPU; see the store-get
// bench). An entry is served only while the ciphertext in storage is byte-for-byte the one it was
// opened from (every write draws a fresh nonce, so any write changes it) and under the keyring it
// was opened with; the cache belongs to that keyring and is wiped with it on seal. The plaintext
// sits in the heap that already holds the data keys, so this widens no exposure a heap dump has.
import type { StoredSecret } from './secret-record.js';
import type { Keyring } from './keyring.js';

const maxEntries = 4096;
const maxTotalBytes = 16 * 1024 * 1024;

interface Entry {
  readonly blob: Buffer;
  readonly secret: StoredSecret;
  readonly bytes: number;
}

class OpenedRecordCache {
  readonly #entries = new Map<string, Entry>();
  #totalBytes = 0;

  open(path: string, blob: Uint8Array, decrypt: () => StoredSecret): StoredSecret {
    const hit = this.#entries.get(path);
    if (hit !== undefined && Buffer.compare(hit.blob, blob) === 0) return { ...hit.secret, bytes: new Uint8Array(hit.secret.bytes) };
    const secret = decrypt();
    this.#forget(path);
    const size = blob.byteLength + secret.bytes.byteLength;
    if (size <= maxTotalBytes / 16) {
      while (this.#entries.size >= maxEntries || this.#totalBytes + size > maxTotalBytes) {
        const oldest = this.#entries.keys().next();
        if (oldest.done === true) break;
        this.#forget(oldest.value);
      }
      // Copies: the caller owns (and may wipe) what it gets back.
      this.#entries.set(path, { blob: Buffer.from(blob), secret: { ...secret, bytes: new Uint8Array(secret.bytes) }, bytes: size });
      this.#totalBytes += size;
    }
    return secret;
  }

  clear(): void {
    for (const path of [...this.#entries.keys()]) this.#forget(path);
  }

  #forget(path: string): void {
    const entry = this.#entries.get(path);
    if (entry === undefined) return;
    entry.secret.bytes.fill(0);
    this.#entries.delete(path);
    this.#totalBytes -= entry.bytes;
  }
}

const caches = new WeakMap<Keyring, OpenedRecordCache>();

// Opens `blob` (the stored record of `path`) with `decrypt`, or answers from the keyring's cache.
export function openCachedRecord(keyring: Keyring, path: string, blob: Uint8Array, decrypt: () => StoredSecret): StoredSecret {
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
  return cache.open(path, blob, decrypt);
}
