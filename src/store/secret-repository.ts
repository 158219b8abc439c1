// Secrets of one store over a storage backend: create/get/update/delete/list with the exact semantics of the DC/OS
// Secrets API (docs/wire-formats.md#secrets-api-routes, docs/wire-formats.md#listing). Every operation needs the
// store unsealed; records are encrypted with the keyring (secret-record.ts).
import { SecretsAgentError, isSecretsAgentError } from '../core/errors.js';
import type { SecretInput, SecretRecord } from '../core/secrets-api.js';
import type { StorageBackend } from './storage/backend.js';
import type { Keyring } from './keyring.js';
import { parseSecretPath } from './secret-path.js';
import { openCachedRecord, useCachedRecord, type OpenedRecord } from './opened-record-cache.js';
import { decryptSecretRecord, encryptSecretRecord, type StoredSecret } from './secret-record.js';
import { secretKey, secretsFolderKey } from './store-keys.js';

/** 1 MiB - 1 KiB: text as UTF-8, binary as raw bytes. */
export const maxSecretValueBytes = 1024 * 1024 - 1024;
export const maxDescriptionChars = 4096;
export const maxLabels = 64;
export const maxLabelChars = 256;

const maxUpdateAttempts = 5;

export interface SecretRepositoryOptions {
  readonly storage: StorageBackend;
  readonly store: string;
  /** The keyring while unsealed; throws ERR_STORE_SEALED / ERR_STORE_NOT_INITIALIZED otherwise. */
  readonly keyring: () => Keyring;
  readonly now?: () => Date;
}

export interface SecretRepository {
  get(path: string): Promise<SecretRecord>;
  /** Reads like get() (same checks, same errors, in the same order), but hands `use` the cached
   * opened record instead of a copy: `use` runs in the same tick and returns only copies or
   * renderings (see OpenedRecord). For answers served straight from the cache (the GET route). */
  read<T>(path: string, use: (opened: OpenedRecord) => T): Promise<T>;
  create(path: string, input: SecretInput, author?: string): Promise<void>;
  update(path: string, input: SecretInput, author?: string): Promise<void>;
  delete(path: string): Promise<void>;
  list(path: string): Promise<string[]>;
}

// Creates the repository; paths given to it are decoded (`a/b`), checked with parseSecretPath.
export function createSecretRepository(options: SecretRepositoryOptions): SecretRepository {
  const { storage, store } = options;
  const now = options.now ?? (() => new Date());

  async function get(rawPath: string): Promise<SecretRecord> {
    const path = parseSecretPath(rawPath);
    const keyring = options.keyring();
    const key = secretKey(store, path);
    // Before answering "does not exist" from a local copy that may lag (ZooKeeper's mirror), ask
    // the storage: a secret whose create another instance acknowledged is never a 404 here.
    const entry = (await storage.get(key)) ?? (await storage.get(key, { fresh: true }));
    if (entry === undefined) throw notFound(path);
    return toRecord(
      path,
      openCachedRecord(keyring, `${store}/${path}`, entry.value, () =>
        decryptSecretRecord(keyring, store, path, entry.value),
      ),
    );
  }

  async function read<T>(rawPath: string, use: (opened: OpenedRecord) => T): Promise<T> {
    const path = parseSecretPath(rawPath);
    const keyring = options.keyring();
    const key = secretKey(store, path);
    // As in get(): a local miss is confirmed with the storage before it becomes a 404.
    const entry = (await storage.get(key)) ?? (await storage.get(key, { fresh: true }));
    if (entry === undefined) throw notFound(path);
    return useCachedRecord(
      keyring,
      `${store}/${path}`,
      entry.value,
      () => decryptSecretRecord(keyring, store, path, entry.value),
      use,
    );
  }

  async function create(rawPath: string, input: SecretInput, author?: string): Promise<void> {
    const path = parseSecretPath(rawPath);
    assertSecretInput(path, input);
    const keyring = options.keyring();
    const at = now().toISOString();
    const secret: StoredSecret = {
      ...pickInput(input),
      ...(author === undefined ? {} : { author }),
      created: at,
      updated: at,
    };
    try {
      await storage.create(secretKey(store, path), encryptSecretRecord(keyring, store, path, secret));
    } catch (error) {
      if (isSecretsAgentError(error, 'ERR_STORAGE_CONFLICT')) throw exists(path);
      throw error;
    }
  }

  async function update(rawPath: string, input: SecretInput, author?: string): Promise<void> {
    const path = parseSecretPath(rawPath);
    assertSecretInput(path, input);
    const key = secretKey(store, path);
    for (let attempt = 1; ; attempt += 1) {
      const keyring = options.keyring();
      // A local copy (ZooKeeper's mirror) may lag behind another instance's write: before saying
      // "does not exist", and after losing a race, ask the storage itself.
      let entry = await storage.get(key, { fresh: attempt > 1 });
      if (entry === undefined && attempt === 1) entry = await storage.get(key, { fresh: true });
      if (entry === undefined) throw notFound(path);
      const previous = decryptSecretRecord(keyring, store, path, entry.value);
      // Only its metadata is carried over: its value goes at once.
      previous.bytes.fill(0);
      const secret: StoredSecret = {
        type: input.type,
        bytes: input.bytes,
        ...withOptional('description', input.description ?? previous.description),
        ...withOptional('labels', input.labels ?? previous.labels),
        ...withOptional('author', author ?? previous.author),
        created: previous.created,
        updated: now().toISOString(),
      };
      try {
        await storage.put(key, encryptSecretRecord(keyring, store, path, secret), { expectedVersion: entry.version });
        return;
      } catch (error) {
        // Another writer got there between our read and write: read again (bounded).
        if (!isSecretsAgentError(error, 'ERR_STORAGE_CONFLICT') || attempt >= maxUpdateAttempts) throw error;
      }
    }
  }

  async function remove(rawPath: string): Promise<void> {
    const path = parseSecretPath(rawPath);
    options.keyring();
    if (!(await storage.delete(secretKey(store, path)))) throw notFound(path);
  }

  async function list(rawPath: string): Promise<string[]> {
    const path = parseSecretPath(rawPath, { allowRoot: true, allowTrailingSlash: true });
    options.keyring();
    const folder = secretsFolderKey(store, path);
    const keys = await storage.list(folder);
    const prefix = `${folder}/`;
    return keys
      .filter((key) => key.startsWith(prefix))
      .map((key) => key.slice(prefix.length))
      .sort(compareCodeUnits);
  }

  return { get, read, create, update, delete: remove, list };
}

// Checks sizes and metadata of a value before it is encrypted; names the path, never the value.
export function assertSecretInput(path: string, input: SecretInput): void {
  if (input.type !== 'text' && input.type !== 'binary') {
    throw new SecretsAgentError('ERR_INPUT_INVALID', `Secret \`${path}\`: type must be \`text\` or \`binary\``);
  }
  if (!(input.bytes instanceof Uint8Array))
    throw new SecretsAgentError('ERR_INPUT_INVALID', `Secret \`${path}\`: value must be bytes`);
  if (input.bytes.byteLength > maxSecretValueBytes) {
    throw new SecretsAgentError(
      'ERR_SECRET_TOO_LARGE',
      `Secret \`${path}\` value is ${input.bytes.byteLength} bytes; the limit is ${maxSecretValueBytes} bytes (1 MiB - 1 KiB)`,
      { details: { path, sizeBytes: input.bytes.byteLength, maxBytes: maxSecretValueBytes } },
    );
  }
  if (
    input.description !== undefined &&
    (typeof input.description !== 'string' || input.description.length > maxDescriptionChars)
  ) {
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `Secret \`${path}\`: /description must be a string of at most ${maxDescriptionChars} characters`,
    );
  }
  if (input.labels !== undefined) {
    if (!Array.isArray(input.labels) || input.labels.length > maxLabels) {
      throw new SecretsAgentError(
        'ERR_INPUT_INVALID',
        `Secret \`${path}\`: /labels must be an array of at most ${maxLabels} strings`,
      );
    }
    for (const [index, label] of input.labels.entries()) {
      if (typeof label !== 'string' || label.length > maxLabelChars) {
        throw new SecretsAgentError(
          'ERR_INPUT_INVALID',
          `Secret \`${path}\`: /labels/${index} must be a string of at most ${maxLabelChars} characters`,
        );
      }
    }
  }
}

function pickInput(input: SecretInput): Pick<StoredSecret, 'type' | 'bytes' | 'description' | 'labels'> {
  return {
    type: input.type,
    bytes: input.bytes,
    ...withOptional('description', input.description),
    ...withOptional('labels', input.labels),
  };
}

function withOptional<K extends string, V>(name: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [name]: value }) as { [P in K]?: V };
}

function toRecord(path: string, secret: StoredSecret): SecretRecord {
  return {
    path,
    type: secret.type,
    bytes: secret.bytes,
    ...withOptional('description', secret.description),
    ...withOptional('labels', secret.labels),
    ...withOptional('author', secret.author),
    created: secret.created,
    updated: secret.updated,
  };
}

function compareCodeUnits(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

function notFound(path: string): SecretsAgentError {
  return new SecretsAgentError('ERR_SECRET_NOT_FOUND', `Secret \`${path}\` does not exist`, { details: { path } });
}

function exists(path: string): SecretsAgentError {
  return new SecretsAgentError('ERR_SECRET_EXISTS', `Secret \`${path}\` already exists`, { details: { path } });
}
