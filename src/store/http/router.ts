import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../core/log.js';
import { SecretsAgentError } from '../../core/errors.js';
import type { AccessAction, AccessControl, Principal } from './access.js';
import { parseSecretPathParam } from '../secret-path.js';
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
  const target = req.url ?? '/';
  const method = req.method ?? 'GET';
  let parsed: URL | undefined;
  const parseUrl = (): URL => (parsed ??= new URL(target, 'http://store.invalid'));
  let pathname = target;
  try {
    assertNoDotSegments(target);
    pathname = plainPathname(target) ?? parseUrl().pathname;
    const { route, params } = matchRoute(routes, method, pathname);
    let principalPromise: Promise<Principal> | undefined;
    const principal = (): Promise<Principal> => {
      principalPromise ??= options.access.authenticate({ authorization: req.headers.authorization, cookie: req.headers.cookie });
      return principalPromise;
    };
    const context: RouteContext = {
      req,
      res,
      // Parsed on first use: most requests never look at the query (a WHATWG URL costs ~1-2 µs).
      get url() {
        return parseUrl();
      },
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
    if (status >= 500) options.log.error({ err: failure, method, route: pathname }, 'request failed');
    else options.log.debug({ code: failure.code, method, route: pathname }, 'request refused');
    // A body we stopped reading cannot be drained safely; close the connection after answering.
    if (failure.code === 'ERR_BODY_TOO_LARGE') res.once('finish', () => req.socket.destroy());
  }
}

// URL parsing resolves `.`/`..` (also `%2e` forms, and `\\` as `/`) before routing, so
// `/secrets/v1/secret/default/../../seal/default` would reach the seal route. Such targets are
// refused as sent instead; no legitimate DC/OS path has a dot segment or a backslash.
export function assertNoDotSegments(target: string): void {
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  if (!dotCandidate.test(path)) return;
  if (path.startsWith(secretPrefix)) {
    // Under a secret route, name the segment as the secret path rules do (decoded, counted from the path).
    const rest = path.slice(secretPrefix.length);
    const slash = rest.indexOf('/');
    if (slash !== -1) parseSecretPathParam(rest.slice(slash + 1), { allowRoot: true, allowTrailingSlash: true });
  }
  const segments = path.split(/[/\\]/);
  for (const [index, segment] of segments.entries()) {
    const plain = segment.replaceAll(/%2e/gi, '.');
    if (plain !== '.' && plain !== '..') continue;
    throw new SecretsAgentError('ERR_SECRET_PATH_INVALID', `Request path \`${clip(path)}\` is invalid: segment ${index} \`${clip(segment)}\` is a dot segment; send the path without \`.\` or \`..\``, {
      details: { segment: clip(segment), segmentIndex: index },
    });
  }
  if (path.includes('\\')) {
    throw new SecretsAgentError('ERR_SECRET_PATH_INVALID', `Request path \`${clip(path)}\` is invalid: it contains a backslash`, { details: { segment: '\\' } });
  }
}

// The path of an origin-form target when URL parsing would return it unchanged (only characters
// the WHATWG URL path serializer keeps as they are, dot segments already refused); else undefined.
function plainPathname(target: string): string | undefined {
  const query = target.indexOf('?');
  const path = query === -1 ? target : target.slice(0, query);
  return path.startsWith('/') && !path.startsWith('//') && plainPathPattern.test(path) ? path : undefined;
}

const plainPathPattern = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;
const dotCandidate = /\.|%2e|\\/i;
const secretPrefix = '/secrets/v1/secret/';

function clip(text: string): string {
  const quoted = JSON.stringify(text.length > 200 ? `${text.slice(0, 200)}...` : text).slice(1, -1);
  return quoted;
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
