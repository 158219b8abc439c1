import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../core/log.js';
import { SecretsAgentError } from '../../core/errors.js';
import type { AccessAction, AccessControl, Principal } from './access.js';
import { sendError } from './respond.js';

export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** Raw (still percent-encoded) values of `:name` and `*name` pattern parts. */
  readonly params: Readonly<Record<string, string>>;
  readonly log: Logger;
  /** Authenticates the caller once per request (memoised). */
  principal(): Promise<Principal>;
  /** Authenticates, then checks `rid` + `action`; throws ERR_FORBIDDEN. */
  authorize(rid: string, action: AccessAction): Promise<Principal>;
}

export type RouteHandler = (context: RouteContext) => Promise<void>;

export interface Route {
  readonly method: 'GET' | 'PUT' | 'PATCH' | 'DELETE' | 'POST';
  /** `/a/:one/*rest`: `:x` matches one non-empty segment, a trailing `*x` the (possibly empty) remainder. */
  readonly pattern: string;
  readonly handler: RouteHandler;
}

interface CompiledRoute extends Route {
  readonly segments: readonly string[];
  readonly restName: string | undefined;
}

export interface RouterOptions {
  routes: readonly Route[];
  access: AccessControl;
  log: Logger;
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

// Builds the request listener: match route, run handler, map any thrown error to the JSON error body.
export function createRouter(options: RouterOptions): RequestListener {
  const compiled = options.routes.map(compileRoute);
  return (req, res) => {
    void handleRequest(compiled, options, req, res);
  };
}

async function handleRequest(routes: readonly CompiledRoute[], options: RouterOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://store.invalid');
  const method = req.method ?? 'GET';
  try {
    const { route, params } = matchRoute(routes, method, url.pathname);
    let principalPromise: Promise<Principal> | undefined;
    const principal = (): Promise<Principal> => {
      principalPromise ??= options.access.authenticate({ authorization: req.headers.authorization, cookie: req.headers.cookie });
      return principalPromise;
    };
    const context: RouteContext = {
      req,
      res,
      url,
      params,
      log: options.log,
      principal,
      authorize: async (rid, action) => {
        const who = await principal();
        await options.access.authorize(who, rid, action);
        return who;
      },
    };
    await route.handler(context);
  } catch (error) {
    const failure = sendError(res, error);
    const status = failure.httpStatus;
    if (status >= 500) options.log.error({ err: failure, method, route: url.pathname }, 'request failed');
    else options.log.debug({ code: failure.code, method, route: url.pathname }, 'request refused');
    // A body we stopped reading cannot be drained safely; close the connection after answering.
    if (failure.code === 'ERR_BODY_TOO_LARGE') res.once('finish', () => req.socket.destroy());
  }
}

function compileRoute(route: Route): CompiledRoute {
  const parts = route.pattern.split('/').slice(1);
  const last = parts.at(-1);
  const restName = last?.startsWith('*') ? last.slice(1) : undefined;
  return { ...route, segments: restName === undefined ? parts : parts.slice(0, -1), restName };
}

function matchRoute(routes: readonly CompiledRoute[], method: string, pathname: string): { route: CompiledRoute; params: Record<string, string> } {
  const segments = pathname.split('/').slice(1);
  let pathMatched = false;
  for (const route of routes) {
    const params = matchSegments(route, segments);
    if (params === undefined) continue;
    pathMatched = true;
    if (route.method === method) return { route, params };
  }
  if (pathMatched) throw new SecretsAgentError('ERR_METHOD_NOT_ALLOWED', `method ${method} is not allowed on ${pathname}`);
  throw new SecretsAgentError('ERR_ROUTE_NOT_FOUND', `no endpoint at ${pathname}`);
}

function matchSegments(route: CompiledRoute, segments: readonly string[]): Record<string, string> | undefined {
  if (route.restName === undefined ? segments.length !== route.segments.length : segments.length < route.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, expected] of route.segments.entries()) {
    const actual = segments[index] ?? '';
    if (expected.startsWith(':')) {
      if (actual === '') return undefined;
      params[expected.slice(1)] = actual;
    } else if (expected !== actual) {
      return undefined;
    }
  }
  if (route.restName !== undefined) {
    // Everything after the fixed prefix, raw: `/secret/default/a%2Fb/c` -> `a%2Fb/c`.
    const rest = segments.slice(route.segments.length);
    params[route.restName] = rest.join('/');
  }
  return params;
}
