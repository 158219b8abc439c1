// One API request as the Secrets and IAM clients make it: URL under the base, the auth token,
// the answer checked, an error body mapped. A 401 invalidates the token and the request is sent
// once more with a fresh one (DC/OS tokens expire; a client re-logs in, docs/wire-formats.md#auth-token).
import { SecretsAgentError, isSecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { joinUrl } from './client-options.js';
import { mapHttpError, type ApiArea, type HttpErrorContext } from './http-error.js';
import type { HttpMethod, HttpResponse, HttpTransport } from './http-transport.js';
import type { TokenProvider } from './token-provider.js';

export interface ApiCall {
  readonly method: HttpMethod;
  /** Percent-encoded path starting with `/`, below the base URL. */
  readonly path: string;
  readonly query?: string;
  readonly area: ApiArea;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | string;
  /** Send the auth token (every call but login). Default true. */
  readonly authenticated?: boolean;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface ApiCallerOptions {
  readonly baseUrl: URL;
  readonly transport: HttpTransport;
  readonly tokenProvider?: TokenProvider;
  readonly log?: Logger;
}

export interface ApiResult {
  readonly response: HttpResponse;
  readonly context: HttpErrorContext;
}

export type ApiCaller = (call: ApiCall) => Promise<ApiResult>;

// Creates the call function; resolves with 2xx answers only, throws SecretsAgentError otherwise.
export function createApiCaller(options: ApiCallerOptions): ApiCaller {
  const { baseUrl, transport, tokenProvider, log } = options;

  async function send(call: ApiCall, token: string | undefined): Promise<ApiResult> {
    const url = joinUrl(baseUrl, call.path, call.query ?? '');
    const context: HttpErrorContext = { area: call.area, method: call.method, urlPath: url.pathname };
    const headers: Record<string, string> = { ...call.headers };
    if (token !== undefined) headers['authorization'] = `token=${token}`;
    const response = await transport.request({
      method: call.method,
      url,
      headers,
      ...(call.body === undefined ? {} : { body: call.body }),
      ...(call.timeoutMs === undefined ? {} : { timeoutMs: call.timeoutMs }),
      ...(call.signal === undefined ? {} : { signal: call.signal }),
    });
    log?.debug({ method: call.method, path: url.pathname, status: response.status }, 'store answered');
    if (response.status >= 200 && response.status < 300) return { response, context };
    throw mapHttpError(response, context);
  }

  return async function callApi(call: ApiCall): Promise<ApiResult> {
    if (call.authenticated === false) return send(call, undefined);
    if (tokenProvider === undefined)
      throw new SecretsAgentError(
        'ERR_USAGE',
        `${call.method} ${call.path}: this call needs credentials, and the client has none`,
      );
    const token = await tokenProvider.getToken();
    try {
      return await send(call, token);
    } catch (error) {
      if (!isSecretsAgentError(error) || error.details?.['status'] !== 401) throw error;
      log?.info(
        { method: call.method, path: error.details['path'], code: error.code },
        'token refused; logging in again',
      );
      tokenProvider.invalidate(token, error);
      return send(call, await tokenProvider.getToken());
    }
  };
}
