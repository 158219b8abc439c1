// `POST /secrets/v1/batch/{store}` with `{"paths": [...]}`: our extension to the Secrets API, so a
// client that needs many secrets at once (an app's start) makes one round trip instead of one per
// secret. Each path goes through the single GET's own steps (path check, `dcos:secrets:<store>:/<path>`
// read authorization, the cached read, the stored-form rendering) and gets its own result: the
// GET's `Secret` JSON, the bytes of a binary secret as base64, or the error body and status the GET
// would have answered. Past the answer budget, paths are marked `deferred` (read them one by one).
import { STATUS_CODES } from 'node:http';
import { SecretsAgentError, errorCodes, isSecretsAgentError, toSecretsAgentError } from '../../core/errors.js';
import { parseJsonBody, readBody } from '../http/read-body.js';
import { sendJsonPayload } from '../http/respond.js';
import type { Route, RouteContext } from '../http/router.js';
import { parseSecretPath } from '../secret-path.js';
import type { SecretStore } from '../secret-store.js';
import { assertJsonContentType } from './media-type.js';
import { answerSecret } from './secret-answer.js';
import { resolveStore } from './store-name.js';

/** Paths in one batch request. */
export const maxBatchPaths = 256;
/** Request body cap: 256 paths of up to 1 KiB each, with room for JSON quoting. */
export const maxBatchBodyBytes = 300 * 1024;
/** Rendered secrets in one answer; the rest are `deferred`. Below the client's 4 MiB response cap. */
export const maxBatchAnswerBytes = 2 * 1024 * 1024;

const pattern = '/secrets/v1/batch/:store';
const noStore = { 'cache-control': 'no-store' };

export interface BatchRoutesOptions {
  readonly store: SecretStore;
  /** Overrides maxBatchAnswerBytes (tests). */
  readonly maxAnswerBytes?: number;
}

// The batch read route of one store.
export function createBatchRoutes(options: BatchRoutesOptions): Route[] {
  const { store } = options;
  const maxAnswerBytes = options.maxAnswerBytes ?? maxBatchAnswerBytes;

  async function handleBatch(context: RouteContext): Promise<void> {
    // Authentication and the store's state are the request's; authorization is each path's.
    await context.principal();
    const { secrets, name, seal } = resolveStore(store, context.params['store']);
    assertJsonContentType(context.req.headers['content-type']);
    const body = await readBody(context.req, maxBatchBodyBytes).catch((error: unknown) => {
      // The rest of the body stays unread: the connection ends with this answer.
      if (isSecretsAgentError(error, 'ERR_BODY_TOO_LARGE')) context.res.setHeader('connection', 'close');
      throw error;
    });
    const paths = parseBatchPaths(parseJsonBody(body, 'batch request'));
    // A sealed store answers the whole request 503, as each GET would.
    seal.requireKeyring();
    const parts: Buffer[] = [Buffer.from('{"results":[')];
    let answerBytes = 0;
    for (const [index, rawPath] of paths.entries()) {
      const head = `${index === 0 ? '' : ','}{"path":${JSON.stringify(rawPath)},`;
      if (answerBytes >= maxAnswerBytes) {
        parts.push(Buffer.from(`${head}"deferred":true}`));
        continue;
      }
      try {
        const path = parseSecretPath(rawPath);
        await context.authorize(`dcos:secrets:${name}:/${path}`, 'read');
        const answer = await secrets.read(path, (opened) => answerSecret(opened, '*/*', path));
        answerBytes += answer.body.byteLength;
        if (answer.form === 'binary') {
          parts.push(Buffer.from(`${head}"status":200,"binary":"${answer.body.toString('base64')}"}`));
          answer.body.fill(0);
        } else {
          parts.push(Buffer.from(`${head}"status":200,"secret":`), answer.body, Buffer.from('}'));
        }
      } catch (error) {
        const failure = toSecretsAgentError(error);
        if (errorCodes[failure.code].httpStatus >= 500)
          context.log.error({ err: failure, route: 'batch' }, 'batch item failed');
        parts.push(Buffer.from(`${head}${renderItemError(failure)}}`));
      }
    }
    parts.push(Buffer.from(']}'));
    sendJsonPayload(context.res, 200, Buffer.concat(parts), noStore);
  }

  return [{ method: 'POST', pattern, handler: handleBatch }];
}

// `{"paths": ["a/b", ...]}`: 1 to maxBatchPaths strings (each checked later, as its own result).
export function parseBatchPaths(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SecretsAgentError('ERR_INPUT_INVALID', 'batch request: expected a JSON object {"paths": [...]}');
  const { paths } = value as { paths?: unknown };
  if (!Array.isArray(paths))
    throw new SecretsAgentError('ERR_INPUT_INVALID', 'batch request /paths: expected an array of secret paths');
  if (paths.length === 0 || paths.length > maxBatchPaths)
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `batch request /paths: expected 1 to ${maxBatchPaths} paths, got ${paths.length}`,
      { details: { maxPaths: maxBatchPaths } },
    );
  for (const [index, path] of paths.entries()) {
    if (typeof path !== 'string')
      throw new SecretsAgentError('ERR_INPUT_INVALID', `batch request /paths/${index}: expected a string`);
  }
  return paths as string[];
}

// `"status": 404, "error": {"title", "description", "code"}`: the body and status a GET would send.
function renderItemError(failure: SecretsAgentError): string {
  const status = errorCodes[failure.code].httpStatus;
  return `"status":${status},"error":${JSON.stringify({
    title: STATUS_CODES[status] ?? 'Error',
    description: failure.message,
    code: failure.code,
  })}`;
}
