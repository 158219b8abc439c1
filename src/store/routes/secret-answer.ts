// The answer of `GET /secrets/v1/secret/{store}/{path}` built from an opened record: the raw bytes
// or the `Secret` JSON (docs/wire-formats.md#secret-json). The JSON is rendered once per opened record and sent
// as the cache holds it (the cache never changes a rendering, see opened-record-cache.ts); the raw
// bytes are copied, because the cache zeroes its plaintext on eviction and on seal.
import type { SecretType } from '../../core/secrets-api.js';
import type { OpenedRecord } from '../opened-record-cache.js';
import type { StoredSecret } from '../secret-record.js';
import { chooseResponseType } from './media-type.js';

export interface SecretAnswer {
  /** `text`: `body` is the JSON document; `binary`: `body` is the raw value. */
  readonly form: SecretType;
  /** Never changed by anyone (a copy, or the cache's immutable rendering). */
  readonly body: Buffer;
}

// Picks the form the Accept header asks for (ERR_ACCEPT_UNSUPPORTED as chooseResponseType) and copies its bytes.
export function answerSecret(opened: OpenedRecord, accept: string | undefined, path: string): SecretAnswer {
  const form = chooseResponseType(accept, opened.secret.type, path);
  return form === 'binary'
    ? { form, body: Buffer.from(opened.secret.bytes) }
    : { form, body: opened.rendered(renderSecretJson) };
}

// The `Secret` JSON: `value` as UTF-8 text, then whichever metadata the record has.
export function renderSecretJson(secret: StoredSecret): Buffer {
  return Buffer.from(
    JSON.stringify({
      value: Buffer.from(secret.bytes.buffer, secret.bytes.byteOffset, secret.bytes.byteLength).toString('utf8'),
      ...(secret.author === undefined ? {} : { author: secret.author }),
      created: secret.created,
      updated: secret.updated,
      ...(secret.description === undefined ? {} : { description: secret.description }),
      ...(secret.labels === undefined ? {} : { labels: secret.labels }),
    }),
  );
}
