// Reads one secret in its stored form: a text secret's JSON carries its metadata; a binary
// secret comes as raw bytes (the API has no JSON form for it, so its only metadata is its size).
import { secretUrl, type Api } from './api.js';

export interface SecretMetadata {
  readonly type: 'text' | 'binary';
  readonly sizeBytes?: number;
  readonly author?: string;
  readonly created?: string;
  readonly updated?: string;
  readonly description?: string;
  readonly labels?: readonly string[];
}

interface SecretJson {
  value?: string;
  author?: string;
  created?: string;
  updated?: string;
  description?: string;
  labels?: string[];
}

// The secret with its metadata (text) or its bytes (binary), as the store holds it.
export async function fetchSecret(
  api: Api,
  path: string,
): Promise<{ meta: SecretMetadata; value?: string; bytes?: Blob }> {
  const response = await api.request('GET', secretUrl(path), {
    accept: 'application/json, application/octet-stream;q=0.9',
  });
  if ((response.headers.get('content-type') ?? '').startsWith('application/octet-stream')) {
    const bytes = await response.blob();
    return { meta: { type: 'binary', sizeBytes: bytes.size }, bytes };
  }
  const body = (await response.json()) as SecretJson;
  const meta: SecretMetadata = {
    type: 'text',
    ...(body.author === undefined ? {} : { author: body.author }),
    ...(body.created === undefined ? {} : { created: body.created }),
    ...(body.updated === undefined ? {} : { updated: body.updated }),
    ...(body.description === undefined ? {} : { description: body.description }),
    ...(body.labels === undefined ? {} : { labels: body.labels }),
  };
  return { meta, ...(body.value === undefined ? {} : { value: body.value }) };
}
