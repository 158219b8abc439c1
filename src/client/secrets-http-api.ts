// SecretsApi over HTTP: the DC/OS Secrets API (`/secrets/v1`, docs/wire-formats.md#secrets-api-routes) as real clients
// use it. Text secrets travel as JSON `{"value"}`, binary ones as application/octet-stream both
// ways; GET sends `Accept: */*` so the server answers in the stored form (as dcos-migrate does).
import { SecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { BatchReadOutcome, SealStatus, SecretInput, SecretsApi } from '../core/secrets-api.js';
import { createApiCaller, type ApiCall, type ApiCaller } from './api-caller.js';
import { chunkBatchPaths, isBatchUnsupported, parseBatchAnswer } from './batch-read.js';
import { joinUrl, parseBaseUrl } from './client-options.js';
import { unexpectedResponse } from './http-error.js';
import { createHttpTransport, type HttpTransport, type HttpTransportOptions } from './http-transport.js';
import {
  parseInitStatus,
  parseSealStatus,
  parseSecretList,
  parseTextSecret,
  type InitStatus,
} from './response-body.js';
import { encodeSecretPath } from './secret-url.js';
import type { TokenProvider } from './token-provider.js';

const jsonType = 'application/json';
const binaryType = 'application/octet-stream';

/** Options of the single-attempt HTTP Secrets API client: the transport's plus the token source. */
export interface SecretsHttpApiOptions extends HttpTransportOptions {
  /** Store base URL, e.g. `https://master.mesos` (Admin Router) or `https://127.0.0.1:8443`. */
  url: string;
  tokenProvider: TokenProvider;
  /** Secret store name; only `default` exists in DC/OS. */
  store?: string;
  /** Share one transport (one connection pool) with the IAM client; it is then not closed here. */
  transport?: HttpTransport;
  log?: Logger;
}

/** The Secrets API over HTTP, one request per call, plus the seal and init calls of a superuser. */
export interface SecretsHttpApi extends SecretsApi {
  /** `POST /secrets/v1/batch/{store}` (our extension); undefined once the store answered that it has none. */
  readSecrets(paths: readonly string[]): Promise<readonly BatchReadOutcome[] | undefined>;
  /** `PUT /seal/{store}` (superuser). */
  seal(): Promise<SealStatus>;
  /** `PUT /unseal/{store}` with the hex unseal key (superuser). */
  unseal(keyHex: string): Promise<SealStatus>;
  /** `PUT /auto-unseal/{store}` with no body (superuser). */
  autoUnseal(): Promise<SealStatus>;
  /** `GET /init/{store}` (superuser). */
  initStatus(): Promise<InitStatus>;
  /** `PUT /init/{store}` (superuser); `pgpPublicKeys` as base64 of `gpg --export` (none: the server's bootstrap key). */
  initialize(options?: { pgpPublicKeys?: readonly string[] }): Promise<InitStatus>;
}

/** Creates the HTTP Secrets API client; one attempt per call (retries are the caller's, see retry.ts). */
export function createSecretsHttpApi(options: SecretsHttpApiOptions): SecretsHttpApi {
  const baseUrl = parseBaseUrl(options.url);
  const store = encodeStoreName(options.store ?? 'default');
  const ownTransport = options.transport === undefined;
  const transport = options.transport ?? createHttpTransport(options);
  const call: ApiCaller = createApiCaller({
    baseUrl,
    transport,
    tokenProvider: options.tokenProvider,
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  const secretUrl = (path: string): string => `/secrets/v1/secret/${store}/${encodeSecretPath(path)}`;
  let closing: Promise<void> | undefined;
  // Set when the store answered 404/405/501 to a batch: a DC/OS store, read path by path from then on.
  let batchUnsupported = false;

  const callOpen = (request: ApiCall): ReturnType<ApiCaller> => {
    if (closing !== undefined)
      return Promise.reject(new SecretsAgentError('ERR_USAGE', 'the Secrets API client is closed'));
    return call(request);
  };

  const sealCall = async (method: 'GET' | 'PUT', endpoint: string, body?: string): Promise<SealStatus> => {
    const { response, context } = await callOpen({
      method,
      path: `/secrets/v1/${endpoint}/${store}`,
      area: 'store',
      headers: body === undefined ? { accept: jsonType } : { accept: jsonType, 'content-type': jsonType },
      ...(body === undefined ? {} : { body }),
    });
    // OAS-BIN documents 204 for auto-unseal and SW2 no schema for seal: ask for the status then.
    if (response.status === 204 || response.body.length === 0) return api.sealStatus();
    return parseSealStatus(response, context);
  };

  const writeSecret = async (method: 'PUT' | 'PATCH', path: string, input: SecretInput): Promise<void> => {
    const { headers, body } = encodeSecretInput(path, input);
    await callOpen({ method, path: secretUrl(path), area: 'secret', headers: { ...headers, accept: jsonType }, body });
  };

  const api: SecretsHttpApi = {
    async getSecret(path) {
      const { response, context } = await callOpen({
        method: 'GET',
        path: secretUrl(path),
        area: 'secret',
        headers: { accept: '*/*' },
      });
      const contentType = mediaTypeOf(response.headers['content-type']);
      if (contentType === binaryType) {
        // A copy: the response Buffer may share its memory with Node's buffer pool.
        return { path, type: 'binary', bytes: new Uint8Array(response.body) };
      }
      if (contentType === jsonType) return parseTextSecret(path, response, context);
      throw unexpectedResponse(
        context,
        response.status,
        `Content-Type \`${contentType.slice(0, 60)}\` is neither ${jsonType} nor ${binaryType}`,
      );
    },
    async readSecrets(paths) {
      if (batchUnsupported || paths.length === 0) return batchUnsupported ? undefined : [];
      const readChunk = async (chunk: readonly string[]): Promise<BatchReadOutcome[]> => {
        const { response, context } = await callOpen({
          method: 'POST',
          path: `/secrets/v1/batch/${store}`,
          area: 'secret',
          headers: { accept: jsonType, 'content-type': jsonType },
          body: JSON.stringify({ paths: chunk }),
        });
        // Each item's error maps as its own GET's answer would: same context, same URL path.
        return parseBatchAnswer(response, context, chunk, (path) => ({
          area: 'secret',
          method: 'GET',
          urlPath: joinUrl(baseUrl, secretUrl(path)).pathname,
        }));
      };
      try {
        return (await Promise.all(chunkBatchPaths(paths).map(readChunk))).flat();
      } catch (error) {
        if (!isBatchUnsupported(error)) throw error;
        batchUnsupported = true;
        options.log?.debug({ status: (error as SecretsAgentError).details?.['status'] }, 'store has no batch read');
        return undefined;
      }
    },
    createSecret: (path, input) => writeSecret('PUT', path, input),
    updateSecret: (path, input) => writeSecret('PATCH', path, input),
    async deleteSecret(path) {
      await callOpen({ method: 'DELETE', path: secretUrl(path), area: 'secret', headers: { accept: jsonType } });
    },
    async listSecrets(path) {
      const encoded = encodeSecretPath(path, { listing: true });
      const { response, context } = await callOpen({
        method: 'GET',
        path: `/secrets/v1/secret/${store}/${encoded}`,
        query: '?list=true',
        area: 'secret',
        headers: { accept: jsonType },
      });
      return parseSecretList(response, context);
    },
    sealStatus: () => sealCall('GET', 'seal-status'),
    seal: () => sealCall('PUT', 'seal'),
    unseal(keyHex) {
      if (typeof keyHex !== 'string' || !/^[0-9a-fA-F]+$/.test(keyHex)) {
        return Promise.reject(
          new SecretsAgentError('ERR_UNSEAL_KEY_INVALID', 'Expected the unseal key to be a string of hex digits'),
        );
      }
      return sealCall('PUT', 'unseal', JSON.stringify({ key: keyHex }));
    },
    autoUnseal: () => sealCall('PUT', 'auto-unseal'),
    async initStatus() {
      const { response, context } = await callOpen({
        method: 'GET',
        path: `/secrets/v1/init/${store}`,
        area: 'store',
        headers: { accept: jsonType },
      });
      return parseInitStatus(response, context);
    },
    async initialize(options = {}) {
      const body = JSON.stringify(options.pgpPublicKeys === undefined ? {} : { pgp_keys: options.pgpPublicKeys });
      const { response, context } = await callOpen({
        method: 'PUT',
        path: `/secrets/v1/init/${store}`,
        area: 'store',
        headers: { accept: jsonType, 'content-type': jsonType },
        body,
      });
      return parseInitStatus(response, context);
    },
    close() {
      closing ??= ownTransport ? transport.close() : Promise.resolve();
      return closing;
    },
  };
  return api;
}

// Text: `{"value", "description"?, "labels"?}` as JSON. Binary: the raw bytes (the octet-stream
// form has no place for description or labels, so asking for them is refused, not dropped).
function encodeSecretInput(
  path: string,
  input: SecretInput,
): { headers: Record<string, string>; body: Uint8Array | string } {
  if (typeof input !== 'object' || input === null || !(input.bytes instanceof Uint8Array)) {
    throw new SecretsAgentError('ERR_USAGE', `Secret \`${path}\`: expected {type, bytes: Uint8Array}`);
  }
  if (input.type === 'binary') {
    if (input.description !== undefined || input.labels !== undefined) {
      throw new SecretsAgentError(
        'ERR_USAGE',
        `Secret \`${path}\`: description and labels can only be stored with text secrets`,
      );
    }
    return { headers: { 'content-type': binaryType }, body: input.bytes };
  }
  if (input.type !== 'text')
    throw new SecretsAgentError('ERR_USAGE', `Secret \`${path}\`: expected type \`text\` or \`binary\``);
  let value: string;
  try {
    value = new TextDecoder('utf-8', { fatal: true }).decode(input.bytes);
  } catch (error) {
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `Secret \`${path}\`: a text secret must be valid UTF-8 (store raw bytes as binary)`,
      { cause: error },
    );
  }
  const body = {
    value,
    ...(input.description === undefined ? {} : { description: input.description }),
    ...(input.labels === undefined ? {} : { labels: [...input.labels] }),
  };
  return { headers: { 'content-type': jsonType }, body: JSON.stringify(body) };
}

function mediaTypeOf(header: string | string[] | undefined): string {
  const text = (Array.isArray(header) ? header[0] : header) ?? '';
  return (text.split(';')[0] ?? '').trim().toLowerCase();
}

function encodeStoreName(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(name) || name === '.' || name === '..') {
    throw new SecretsAgentError('ERR_USAGE', 'Expected `store` to be a store name like `default`');
  }
  return name;
}
