// `/secrets/v1/secret/{store}/{path}`: GET (or `?list=true`), PUT 201/409, PATCH 204/404,
// DELETE 204/404, with DC/OS rids: `dcos:secrets:<store>:/<path>` (read/create/update/delete)
// and `dcos:secrets:list:<store>:/<path>` (read) for listings.
import type { IncomingMessage } from 'node:http';
import { isSecretsAgentError } from '../../core/errors.js';
import type { SecretInput } from '../../core/secrets-api.js';
import { discardSensitiveBody, readSensitiveBody } from '../http/read-sensitive-body.js';
import { sendEmpty, sendJson } from '../http/respond.js';
import type { Route, RouteContext } from '../http/router.js';
import type { SecretStore } from '../secret-store.js';
import { parseSecretPathParam } from '../secret-path.js';
import { parseRequestContentType } from './media-type.js';
import { answerSecret, sendSecretAnswer } from './secret-answer.js';
import { parseSecretJsonBody } from './secret-body.js';
import { resolveStore } from './store-name.js';

/** Request body cap (docs/decisions.md#sizes): past it the request gets 413 and the connection closes. */
export const maxSecretBodyBytes = 2 * 1024 * 1024;

const pattern = '/secrets/v1/secret/:store/*path';
const prefix = '/secrets/v1/secret/';
const noStore = { 'cache-control': 'no-store' };
/** Requests whose body a write route has started to read (the rest is not discardSensitiveBody's). */
const bodyRead = new WeakSet<IncomingMessage>();

export interface SecretRoutesOptions {
  readonly store: SecretStore;
  readonly maxBodyBytes?: number;
}

// The secret CRUD and list routes of one store.
export function createSecretRoutes(options: SecretRoutesOptions): Route[] {
  const maxBodyBytes = options.maxBodyBytes ?? maxSecretBodyBytes;
  const { store } = options;

  async function handleGet(context: RouteContext): Promise<void> {
    await context.principal();
    const { secrets, name } = resolveStore(store, context.params['store']);
    // Only a target with a query can ask for a listing: the common GET skips URL parsing.
    if ((context.req.url ?? '').includes('?') && context.url.searchParams.get('list') === 'true') {
      const path = parseSecretPathParam(rawSecretPath(context), { allowRoot: true, allowTrailingSlash: true });
      await context.authorize(`dcos:secrets:list:${name}:/${path}`, 'read');
      sendJson(context.res, 200, { array: await secrets.list(path) }, noStore);
      return;
    }
    const path = parseSecretPathParam(rawSecretPath(context));
    await context.authorize(`dcos:secrets:${name}:/${path}`, 'read');
    const accept = context.req.headers.accept;
    // Straight from the decrypted-record cache: JSON rendered once per change, one copy per answer (zeroed once sent).
    const answer = await secrets.read(path, (opened) => answerSecret(opened, accept, path));
    sendSecretAnswer(context.res, answer, noStore);
  }

  async function handleWrite(context: RouteContext, mode: 'create' | 'update'): Promise<void> {
    try {
      await writeSecret(context, mode);
    } catch (error) {
      // Refused before the body was read (401, 403, bad path or Content-Type): zero it as it arrives.
      if (!bodyRead.has(context.req)) await discardSensitiveBody(context.req, context.res, maxBodyBytes);
      throw error;
    }
  }

  async function writeSecret(context: RouteContext, mode: 'create' | 'update'): Promise<void> {
    const principal = await context.principal();
    const { secrets, name } = resolveStore(store, context.params['store']);
    const path = parseSecretPathParam(rawSecretPath(context));
    await context.authorize(`dcos:secrets:${name}:/${path}`, mode);
    const type = parseRequestContentType(context.req.headers['content-type']);
    bodyRead.add(context.req);
    const body = await readSensitiveBody(context.req, maxBodyBytes).catch((error: unknown) => {
      // The rest of the body stays unread: tell the client the connection ends with this answer.
      if (isSecretsAgentError(error, 'ERR_BODY_TOO_LARGE')) context.res.setHeader('connection', 'close');
      throw error;
    });
    // The body and the value parsed from it are zeroed once the record is encrypted (issue 12.3).
    let input: SecretInput | undefined;
    try {
      input = toSecretInput(type, body);
      if (mode === 'create') await secrets.create(path, input, principal.uid);
      else await secrets.update(path, input, principal.uid);
    } finally {
      input?.bytes.fill(0);
      body.fill(0);
    }
    context.log.info(
      { path, store: name, uid: principal.uid, type },
      mode === 'create' ? 'secret created' : 'secret updated',
    );
    sendEmpty(context.res, mode === 'create' ? 201 : 204);
  }

  async function handleDelete(context: RouteContext): Promise<void> {
    const principal = await context.principal();
    const { secrets, name } = resolveStore(store, context.params['store']);
    const path = parseSecretPathParam(rawSecretPath(context));
    await context.authorize(`dcos:secrets:${name}:/${path}`, 'delete');
    await secrets.delete(path);
    context.log.info({ path, store: name, uid: principal.uid }, 'secret deleted');
    sendEmpty(context.res, 204);
  }

  return [
    { method: 'GET', pattern, handler: handleGet },
    { method: 'PUT', pattern, handler: (context) => handleWrite(context, 'create') },
    { method: 'PATCH', pattern, handler: (context) => handleWrite(context, 'update') },
    { method: 'DELETE', pattern, handler: handleDelete },
  ];
}

// The secret path as sent, before URL normalization: WHATWG URL parsing resolves `a/../b` (and
// `%2E%2E`) to `b` and turns a backslash into `/`, which would hide a bad path instead of refusing it.
function rawSecretPath(context: RouteContext): string {
  const url = context.req.url ?? '';
  const query = url.indexOf('?');
  const target = query === -1 ? url : url.slice(0, query);
  if (!target.startsWith(prefix)) return context.params['path'] ?? '';
  const rest = target.slice(prefix.length);
  const slash = rest.indexOf('/');
  return slash === -1 ? '' : rest.slice(slash + 1);
}

function toSecretInput(type: 'text' | 'binary', body: Buffer): SecretInput {
  if (type === 'binary') return { type, bytes: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
  const parsed = parseSecretJsonBody(body);
  return {
    type,
    bytes: parsed.value,
    ...(parsed.description === undefined ? {} : { description: parsed.description }),
    ...(parsed.labels === undefined ? {} : { labels: parsed.labels }),
  };
}
