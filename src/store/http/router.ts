import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../core/log.js';
import type { Socket } from 'node:net';
import { SecretsAgentError, isSecretsAgentError } from '../../core/errors.js';
import type { AccessAction, AccessControl, Principal } from './access.js';
import { parseSecretPathParam } from '../secret-path.js';
import { closeAfterAnswer } from './linger-close.js';
import { revealSecretsIndex, sendError } from './respond.js';

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
  /** Per fixed segment: the literal it must equal, or undefined for a `:param`. */
  readonly literals: readonly (string | undefined)[];
  /** Per fixed segment: the `:param` name, or undefined for a literal. */
  readonly paramNames: readonly (string | undefined)[];
  readonly restName: string | undefined;
}

export interface RouterOptions {
  routes: readonly Route[];
  access: AccessControl;
  log: Logger;
  /** Called once per request after its handler settled (metrics): the matched route's pattern
   * (`unmatched` when none), the status sent, the seconds taken, the error code when it failed. */
  observe?: (route: string, method: string, status: number, seconds: number, errorCode?: string) => void;
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

// Builds the request listener: match route, run handler, map any thrown error to the JSON error body.
export function createRouter(options: RouterOptions): RequestListener {
  const compiled = options.routes.map(compileRoute);
  return (req, res) => {
    // The last resort (issue 12.1): nothing one request does may end the process. handleRequest
    // answers its own errors; this only catches a failure while answering, or a bug.
    handleRequest(compiled, options, req, res).catch((error: unknown) => abandonRequest(options.log, req, res, error));
  };
}

// Answers 500 if nothing was sent yet, else cuts the connection; never throws.
function abandonRequest(log: Logger, req: IncomingMessage, res: ServerResponse, error: unknown): void {
  try {
    log.error({ err: error, method: req.method, route: (req.url ?? '').slice(0, 200) }, 'request handler crashed');
  } catch {
    // A logger that throws must not take the process down either.
  }
  try {
    if (!res.headersSent && !res.destroyed) {
      res.shouldKeepAlive = false;
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ title: 'Internal Server Error', description: 'internal error', code: 'ERR_INTERNAL' }));
    } else {
      res.destroy();
    }
  } catch {
    req.socket?.destroy();
  }
}

const noParams: Readonly<Record<string, string>> = Object.freeze({});

// One request's context. A class rather than an object of closures: this runs on every request,
// and its methods are shared instead of allocated (and, under tsx, named with defineProperty) each time.
class RequestContext implements RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly log: Logger;
  params: Readonly<Record<string, string>> = noParams;
  readonly #access: AccessControl;
  readonly #target: string;
  #url: URL | undefined;
  #principal: Promise<Principal> | undefined;

  constructor(req: IncomingMessage, res: ServerResponse, target: string, options: RouterOptions) {
    this.req = req;
    this.res = res;
    this.log = options.log;
    this.#access = options.access;
    this.#target = target;
  }

  // Parsed on first use: most requests never look at the query (a WHATWG URL costs ~1-2 µs).
  get url(): URL {
    this.#url ??= parseTarget(this.#target);
    return this.#url;
  }

  principal(): Promise<Principal> {
    this.#principal ??= this.#access
      .authenticate({
        authorization: this.req.headers.authorization,
        cookie: this.req.headers.cookie,
      })
      .then((principal) => {
        revealSecretsIndex(this.res);
        return principal;
      });
    return this.#principal;
  }

  async authorize(rid: string, action: AccessAction): Promise<Principal> {
    const who = await this.principal();
    await this.#access.authorize(who, rid, action);
    return who;
  }
}

async function handleRequest(
  routes: readonly CompiledRoute[],
  options: RouterOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const target = req.url ?? '/';
  const method = req.method ?? 'GET';
  // Kept: req.socket is null once the request is destroyed (a client abort, or Node's own cleanup).
  const socket = req.socket as Socket | null;
  // An `error` on the response with no listener would be thrown from an event emitter (a crash).
  res.on('error', (error) => options.log.debug({ err: error, method }, 'response failed'));
  const startMs = options.observe === undefined ? 0 : performance.now();
  let pattern = 'unmatched';
  let pathname = target;
  try {
    assertNoDotSegments(target);
    const context = new RequestContext(req, res, target, options);
    pathname = plainPathname(target) ?? context.url.pathname;
    const { route, params } = matchRoute(routes, method, pathname);
    pattern = route.pattern;
    context.params = params;
    await route.handler(context);
    options.observe?.(pattern, method, res.statusCode, (performance.now() - startMs) / 1000);
  } catch (error) {
    // The client is gone (it aborted or reset mid-request): there is no one to answer.
    if (res.destroyed || socket === null || socket.destroyed) {
      options.log.debug({ method, route: pathname }, 'client went away before the answer');
      return;
    }
    // A body we stopped reading cannot be drained safely: answer, then close the connection.
    if (isSecretsAgentError(error, 'ERR_BODY_TOO_LARGE')) closeAfterAnswer(req, res, socket);
    const failure = sendError(res, error);
    options.observe?.(pattern, method, failure.httpStatus, (performance.now() - startMs) / 1000, failure.code);
    const status = failure.httpStatus;
    // A sealed store refusing a read is expected operation (the operator sealed it), not a failure.
    if (failure.code === 'ERR_STORE_SEALED')
      options.log.info({ code: failure.code, method, route: pathname }, 'request refused: store sealed');
    else if (status >= 500) options.log.error({ err: failure, method, route: pathname }, 'request failed');
    else options.log.debug({ code: failure.code, method, route: pathname }, 'request refused');
  }
}

// A target starting with `//` would parse as a host name (`//@:/x` throws), so it is read as a path.
function parseTarget(target: string): URL {
  try {
    return target.startsWith('//') ? new URL(`http://store.invalid${target}`) : new URL(target, 'http://store.invalid');
  } catch (error) {
    throw new SecretsAgentError('ERR_INPUT_INVALID', `Request target \`${clip(target)}\` is not a valid URL`, {
      cause: error,
    });
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
    throw new SecretsAgentError(
      'ERR_SECRET_PATH_INVALID',
      `Request path \`${clip(path)}\` is invalid: segment ${index} \`${clip(segment)}\` is a dot segment; send the path without \`.\` or \`..\``,
      {
        details: { segment: clip(segment), segmentIndex: index },
      },
    );
  }
  if (path.includes('\\')) {
    throw new SecretsAgentError(
      'ERR_SECRET_PATH_INVALID',
      `Request path \`${clip(path)}\` is invalid: it contains a backslash`,
      { details: { segment: '\\' } },
    );
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
  const fixed = restName === undefined ? parts : parts.slice(0, -1);
  return {
    ...route,
    literals: fixed.map((part) => (part.startsWith(':') ? undefined : part)),
    paramNames: fixed.map((part) => (part.startsWith(':') ? part.slice(1) : undefined)),
    restName,
  };
}

function matchRoute(
  routes: readonly CompiledRoute[],
  method: string,
  pathname: string,
): { route: CompiledRoute; params: Record<string, string> } {
  let pathMatched = false;
  for (const route of routes) {
    if (!matchesPath(route, pathname)) continue;
    pathMatched = true;
    if (route.method === method) return { route, params: readParams(route, pathname) };
  }
  if (pathMatched)
    throw new SecretsAgentError('ERR_METHOD_NOT_ALLOWED', `method ${method} is not allowed on ${pathname}`);
  throw new SecretsAgentError('ERR_ROUTE_NOT_FOUND', `no endpoint at ${pathname}`);
}

// Walks the `/`-separated segments of `pathname` (which starts with `/`) in place instead of
// splitting it: most routes tried for a request do not match, and a split allocates every segment.
// Returns where the segment after the route's fixed ones starts (pathname.length + 1: there is
// none), or -1 when the fixed segments do not match.
function walkFixedSegments(route: CompiledRoute, pathname: string): number {
  let start = 1;
  for (const literal of route.literals) {
    if (start > pathname.length) return -1;
    const slash = pathname.indexOf('/', start);
    const end = slash === -1 ? pathname.length : slash;
    if (literal === undefined ? end === start : end - start !== literal.length || !pathname.startsWith(literal, start))
      return -1;
    start = end + 1;
  }
  return start;
}

function matchesPath(route: CompiledRoute, pathname: string): boolean {
  const next = walkFixedSegments(route, pathname);
  if (next === -1) return false;
  return route.restName !== undefined || next === pathname.length + 1;
}

function readParams(route: CompiledRoute, pathname: string): Record<string, string> {
  const params: Record<string, string> = {};
  let start = 1;
  for (const name of route.paramNames) {
    const slash = pathname.indexOf('/', start);
    const end = slash === -1 ? pathname.length : slash;
    if (name !== undefined) params[name] = pathname.slice(start, end);
    start = end + 1;
  }
  // Everything after the fixed prefix, raw: `/secret/default/a%2Fb/c` -> `a%2Fb/c`.
  if (route.restName !== undefined) params[route.restName] = start >= pathname.length ? '' : pathname.slice(start);
  return params;
}
