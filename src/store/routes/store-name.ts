// Resolves the `{store}` part of a URL to the one store we serve (`default`).
import { SecretsAgentError } from '../../core/errors.js';
import type { SecretStore } from '../secret-store.js';

// The store named by a raw (percent-encoded) URL segment; ERR_STORE_NOT_FOUND otherwise.
export function resolveStore(store: SecretStore, rawName: string | undefined): SecretStore {
  let name = rawName ?? '';
  // Runs on every secret request: the plain `default` needs no decoding.
  if (name === store.name) return store;
  try {
    name = decodeURIComponent(name);
  } catch {
    // Keep the raw text: it names no store either way.
  }
  if (name === store.name) return store;
  throw storeNotFound(name);
}

// The message keeps both spellings real clients match: "Store `x` not found" and "store not found" (LOS).
export function storeNotFound(name: string): SecretsAgentError {
  const shown = name.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
  return new SecretsAgentError(
    'ERR_STORE_NOT_FOUND',
    `Store \`${shown}\` not found: store not found (the only store is \`default\`)`,
    { details: { store: shown } },
  );
}
