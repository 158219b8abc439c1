// The operations on secrets that both the HTTP client (src/client) and the in-process embedded
// store (src/store/embedded-store.ts) offer. The agent and the CLI depend on this, not on either.

/** `text` (a UTF-8 string) or `binary` (raw bytes). */
export type SecretType = 'text' | 'binary';

/** A stored secret with its value as bytes and its metadata. */
export interface SecretRecord {
  readonly path: string;
  /** `text` secrets are UTF-8; `binary` secrets are raw bytes (stored from application/octet-stream). */
  readonly type: SecretType;
  readonly bytes: Uint8Array;
  readonly description?: string;
  readonly labels?: readonly string[];
  readonly author?: string;
  readonly created?: string;
  readonly updated?: string;
}

/** What a create or update stores. */
export interface SecretInput {
  readonly type: SecretType;
  readonly bytes: Uint8Array;
  readonly description?: string;
  readonly labels?: readonly string[];
}

/** The seal state of a store, as `GET /secrets/v1/seal-status/default` answers. */
export interface SealStatus {
  readonly sealed: boolean;
  readonly threshold: number;
  readonly shares: number;
  readonly progress: number;
}

/** The Secrets API operations, whatever carries them (HTTP client or an embedded store). */
export interface SecretsApi {
  /** ERR_SECRET_NOT_FOUND when absent. */
  getSecret(path: string): Promise<SecretRecord>;
  /** ERR_SECRET_EXISTS when present. */
  createSecret(path: string, input: SecretInput): Promise<void>;
  /** ERR_SECRET_NOT_FOUND when absent. */
  updateSecret(path: string, input: SecretInput): Promise<void>;
  /** ERR_SECRET_NOT_FOUND when absent. */
  deleteSecret(path: string): Promise<void>;
  /** Recursive, sorted keys relative to `path` ('' = root), as `?list=true` returns them. */
  listSecrets(path: string): Promise<string[]>;
  sealStatus(): Promise<SealStatus>;
  /** Safe to call twice. */
  close(): Promise<void>;
}

/** One path's result in a batch read: the record, the error a single read would give, or `deferred`
 * (the answer was full: read it on its own). */
export type BatchReadOutcome =
  | { readonly path: string; readonly record: SecretRecord }
  | { readonly path: string; readonly error: Error }
  | { readonly path: string; readonly deferred: true };

/** What resolving an app definition needs: reading secrets, nothing more. */
export interface SecretSource {
  getSecret(path: string): Promise<SecretRecord>;
  /** Many paths in one request, each authorized on its own; undefined when the store has no batch
   * read (a DC/OS store), and then the caller reads path by path. */
  readSecrets?(paths: readonly string[]): Promise<readonly BatchReadOutcome[] | undefined>;
}
