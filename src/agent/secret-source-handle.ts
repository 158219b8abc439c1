import type { SecretSource } from '../core/secrets-api.js';

/** A connection to the store, opened only once the plan is known to be valid. */
export interface OpenedSecretSource {
  readonly source: SecretSource;
  /** Releases sockets or the data directory lock. Safe to call twice. */
  close(): Promise<void>;
  /** Like close(), but without waiting for requests in flight (after a stop signal). */
  abort?(): Promise<void>;
  /** Its only resources are descriptors that exec closes (sockets are close-on-exec), so `run`
   * may exec without close(). Set for HTTP: closing a socket would create process.stderr. */
  readonly closedByExec?: true;
}

export type OpenSecretSource = () => Promise<OpenedSecretSource>;
