// An in-memory SecretSource for unit tests: counts calls per path and can fail on demand.
import { SecretsAgentError } from '../../../src/core/errors.js';
import type { SecretRecord, SecretSource, SecretType } from '../../../src/core/secrets-api.js';

export interface MemorySource extends SecretSource {
  readonly calls: Map<string, number>;
  set(path: string, value: string | Uint8Array, type?: SecretType): void;
  /** The next `times` reads of `path` fail with `error`. */
  failNext(path: string, error: SecretsAgentError, times?: number): void;
  /** Reads of `path` never answer. */
  hang(path: string): void;
}

export function createMemorySource(): MemorySource {
  const records = new Map<string, SecretRecord>();
  const calls = new Map<string, number>();
  const failures = new Map<string, { error: SecretsAgentError; times: number }>();
  const hanging = new Set<string>();
  return {
    calls,
    set(path, value, type) {
      const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
      records.set(path, { path, type: type ?? (typeof value === 'string' ? 'text' : 'binary'), bytes });
    },
    failNext(path, error, times = 1) {
      failures.set(path, { error, times });
    },
    hang(path) {
      hanging.add(path);
    },
    async getSecret(path) {
      calls.set(path, (calls.get(path) ?? 0) + 1);
      if (hanging.has(path)) return new Promise<never>(() => undefined);
      const failure = failures.get(path);
      if (failure !== undefined && failure.times > 0) {
        failure.times -= 1;
        throw failure.error;
      }
      const record = records.get(path);
      if (record === undefined)
        throw new SecretsAgentError('ERR_SECRET_NOT_FOUND', `Secret \`${path}\` does not exist`, {
          details: { status: 404 },
        });
      return record;
    },
  };
}
