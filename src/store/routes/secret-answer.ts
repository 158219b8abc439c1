// The answer of `GET /secrets/v1/secret/{store}/{path}` built from an opened record: the raw bytes
// or the `Secret` JSON (docs/wire-formats.md#secret-json). The JSON is written byte by byte (json-string-bytes.ts),
// never through a JS string of the value, so every copy of it is a Buffer someone zeroes: the
// cache's rendering when its entry goes (eviction, seal), and each answer's own copy once the
// response is sent (sendSecretAnswer).
import type { ServerResponse } from 'node:http';
import type { SecretType } from '../../core/secrets-api.js';
import { sendBytes, sendJsonPayload } from '../http/respond.js';
import { jsonStringLength, writeJsonString } from '../json-string-bytes.js';
import type { OpenedRecord } from '../opened-record-cache.js';
import type { StoredSecret } from '../secret-record.js';
import { binaryMediaType, chooseResponseType } from './media-type.js';
import { allocSecretBuffer, copySecretBuffer } from '../../crypto/secret-buffer.js';

export interface SecretAnswer {
  /** `text`: `body` is the JSON document; `binary`: `body` is the raw value. */
  readonly form: SecretType;
  /** The answer's own copy: zero it once sent (sendSecretAnswer does). */
  readonly body: Buffer;
}

// Picks the form the Accept header asks for (ERR_ACCEPT_UNSUPPORTED as chooseResponseType) and copies its bytes.
export function answerSecret(opened: OpenedRecord, accept: string | undefined, path: string): SecretAnswer {
  const form = chooseResponseType(accept, opened.secret.type, path);
  return { form, body: copySecretBuffer(form === 'binary' ? opened.secret.bytes : opened.rendered(renderSecretJson)) };
}

// Sends an answer and zeroes its body once the socket is done with it (sent, or the connection gone).
export function sendSecretAnswer(res: ServerResponse, answer: SecretAnswer, headers: Record<string, string>): void {
  wipeWhenSent(res, answer.body);
  if (answer.form === 'binary') sendBytes(res, 200, answer.body, binaryMediaType, headers);
  else sendJsonPayload(res, 200, answer.body, headers);
}

// Zeroes `body` when `res` has finished (the kernel has every byte) or closed early.
export function wipeWhenSent(res: ServerResponse, body: Buffer): void {
  const wipe = (): void => {
    body.fill(0);
  };
  res.once('finish', wipe);
  res.once('close', wipe);
}

// The `Secret` JSON in a new Buffer the caller zeroes: `value` (the UTF-8 bytes as a JSON string),
// then whichever metadata the record has. For answers of one secret or of many (batch reads).
export function renderSecretJson(secret: StoredSecret): Buffer {
  const metadata = Buffer.from(
    JSON.stringify({
      ...(secret.author === undefined ? {} : { author: secret.author }),
      created: secret.created,
      updated: secret.updated,
      ...(secret.description === undefined ? {} : { description: secret.description }),
      ...(secret.labels === undefined ? {} : { labels: secret.labels }),
    }),
  );
  const head = '{"value":';
  const out = allocSecretBuffer(head.length + jsonStringLength(secret.bytes) + metadata.length);
  let at = out.write(head, 0, 'latin1');
  at = writeJsonString(secret.bytes, out, at);
  // `{"created":...}` becomes `,"created":...}` after the value.
  out[at++] = 0x2c;
  metadata.copy(out, at, 1);
  return out;
}
