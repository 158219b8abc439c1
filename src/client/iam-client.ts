// The IAM API (`/acs/api/v1`, docs/wire-formats.md#iam-login): login, and the administration calls a superuser makes
// (accounts, ACLs, grants). Rids go into URLs with `/` written as `%252F`, as DC/OS expects.
import { SecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { createApiCaller, type ApiCaller } from './api-caller.js';
import { parseBaseUrl } from './client-options.js';
import { unexpectedResponse } from './http-error.js';
import { createHttpTransport, type HttpTransport, type HttpTransportOptions } from './http-transport.js';
import { parseObject } from './response-body.js';
import type { TokenProvider } from './token-provider.js';

const jsonType = 'application/json';
const base = '/acs/api/v1';

/** A login body: a user's password, or a service account's signed login token. */
export type LoginRequest =
  { readonly uid: string; readonly password: string } | { readonly uid: string; readonly token: string };
/** The actions a grant can name; `full` implies the other four. */
export type IamAction = 'create' | 'read' | 'update' | 'delete' | 'full';
const actions: readonly IamAction[] = ['create', 'read', 'update', 'delete', 'full'];

/** A user or service account as the IAM lists it. */
export interface IamAccount {
  readonly uid: string;
  readonly description: string;
  readonly isService: boolean;
}

/** Options of the IAM client: the transport's plus the token source for administration calls. */
export interface IamClientOptions extends HttpTransportOptions {
  /** Store base URL; the IAM lives at `<url>/acs/api/v1`. */
  url: string;
  /** Needed for everything but login. */
  tokenProvider?: TokenProvider;
  transport?: HttpTransport;
  log?: Logger;
}

/** The IAM API: login, and the accounts, ACLs and grants a superuser manages. */
export interface IamClient {
  /** `POST /auth/login` → the auth token. `loginEndpoint` (a full URL) overrides `<url>/acs/api/v1/auth/login`. */
  login(request: LoginRequest, loginEndpoint?: string): Promise<string>;
  createUser(input: { uid: string; password: string; description?: string }): Promise<void>;
  createServiceAccount(input: { uid: string; publicKeyPem: string; description?: string }): Promise<void>;
  listAccounts(kind?: 'user' | 'service'): Promise<IamAccount[]>;
  /** `GET /users/{uid}`; service accounts carry their registered public key. */
  getAccount(uid: string): Promise<IamAccount & { readonly publicKeyPem?: string }>;
  deleteAccount(uid: string): Promise<void>;
  createAcl(rid: string, description?: string): Promise<void>;
  grant(input: { uid: string; rid: string; action: IamAction }): Promise<void>;
  revoke(input: { uid: string; rid: string; action: IamAction }): Promise<void>;
  /** `GET /acls/{rid}/users/{uid}/{action}` → `allowed`. */
  checkGrant(input: { uid: string; rid: string; action: IamAction }): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Creates the IAM client; single attempts, like the Secrets API client.
 *
 * @example
 * ```ts
 * import { createIamClient } from 'secrets-agent';
 *
 * const iam = createIamClient({ url: 'https://master.mesos' });
 * const token = await iam.login({ uid: 'admin', password: 'from-a-prompt' });
 * const admin = createIamClient({ url: 'https://master.mesos', tokenProvider: { getToken: async () => token, invalidate() {} } });
 * await admin.grant({ uid: 'invoice-api-agent', rid: 'dcos:secrets:default:/billing/*', action: 'read' });
 * await Promise.all([iam.close(), admin.close()]);
 * ```
 */
export function createIamClient(options: IamClientOptions): IamClient {
  const baseUrl = parseBaseUrl(options.url);
  const ownTransport = options.transport === undefined;
  const transport = options.transport ?? createHttpTransport(options);
  const log = options.log === undefined ? {} : { log: options.log };
  const call: ApiCaller = createApiCaller({
    baseUrl,
    transport,
    ...(options.tokenProvider === undefined ? {} : { tokenProvider: options.tokenProvider }),
    ...log,
  });
  let closing: Promise<void> | undefined;

  const jsonBody = (value: unknown): { headers: Record<string, string>; body: string } => ({
    headers: { 'content-type': jsonType, accept: jsonType },
    body: JSON.stringify(value),
  });
  const grantPath = (input: { uid: string; rid: string; action: IamAction }): string =>
    `${base}/acls/${encodeRid(input.rid)}/users/${encodeUid(input.uid)}/${encodeAction(input.action)}`;

  return {
    async login(request, loginEndpoint) {
      const uid = request.uid;
      if (typeof uid !== 'string' || uid === '')
        throw new SecretsAgentError('ERR_USAGE', 'Expected `uid` to be a non-empty string');
      const body = 'password' in request ? { uid, password: request.password } : { uid, token: request.token };
      const endpoint = loginEndpoint === undefined ? undefined : parseBaseUrl(loginEndpoint, 'login_endpoint');
      const caller =
        endpoint === undefined ? call : createApiCaller({ baseUrl: new URL(endpoint.origin), transport, ...log });
      const path = endpoint === undefined ? `${base}/auth/login` : endpoint.pathname;
      const { response, context } = await caller({
        method: 'POST',
        path,
        area: 'login',
        authenticated: false,
        ...jsonBody(body),
      });
      const { token } = parseObject(response, context);
      // Portworx/LOS: an empty token is a failed login too ("Error generating authentication token").
      if (typeof token !== 'string' || token === '')
        throw unexpectedResponse(context, response.status, '/token is missing or empty');
      return token;
    },
    async createUser(input) {
      const body = {
        password: input.password,
        ...(input.description === undefined ? {} : { description: input.description }),
      };
      await call({
        method: 'PUT',
        path: `${base}/users/${encodeUid(input.uid)}`,
        area: 'iam-account',
        ...jsonBody(body),
      });
    },
    async createServiceAccount(input) {
      const body = {
        public_key: input.publicKeyPem,
        ...(input.description === undefined ? {} : { description: input.description }),
      };
      await call({
        method: 'PUT',
        path: `${base}/users/${encodeUid(input.uid)}`,
        area: 'iam-account',
        ...jsonBody(body),
      });
    },
    async listAccounts(kind = 'user') {
      const { response, context } = await call({
        method: 'GET',
        path: `${base}/users`,
        query: `?type=${kind === 'service' ? 'service' : 'user'}`,
        area: 'iam-account',
        headers: { accept: jsonType },
      });
      const { array } = parseObject(response, context);
      if (!Array.isArray(array)) throw unexpectedResponse(context, response.status, '/array is not an array');
      return array.map((item: unknown, index) => {
        if (typeof item !== 'object' || item === null || typeof (item as { uid?: unknown }).uid !== 'string') {
          throw unexpectedResponse(context, response.status, `/array/${index}/uid is not a string`);
        }
        const { uid, description, is_service: isService } = item as Record<string, unknown>;
        return {
          uid: uid as string,
          description: typeof description === 'string' ? description : '',
          isService: isService === true,
        };
      });
    },
    async getAccount(uid) {
      const { response, context } = await call({
        method: 'GET',
        path: `${base}/users/${encodeUid(uid)}`,
        area: 'iam-account',
        headers: { accept: jsonType },
      });
      const body = parseObject(response, context);
      if (typeof body['uid'] !== 'string') throw unexpectedResponse(context, response.status, '/uid is not a string');
      const publicKey = body['public_key'];
      return {
        uid: body['uid'],
        description: typeof body['description'] === 'string' ? body['description'] : '',
        isService: body['is_service'] === true,
        ...(typeof publicKey === 'string' ? { publicKeyPem: publicKey } : {}),
      };
    },
    async deleteAccount(uid) {
      await call({ method: 'DELETE', path: `${base}/users/${encodeUid(uid)}`, area: 'iam-account' });
    },
    async createAcl(rid, description) {
      await call({
        method: 'PUT',
        path: `${base}/acls/${encodeRid(rid)}`,
        area: 'iam-acl',
        ...jsonBody(description === undefined ? {} : { description }),
      });
    },
    async grant(input) {
      await call({ method: 'PUT', path: grantPath(input), area: 'iam-acl' });
    },
    async revoke(input) {
      await call({ method: 'DELETE', path: grantPath(input), area: 'iam-acl' });
    },
    async checkGrant(input) {
      const { response, context } = await call({
        method: 'GET',
        path: grantPath(input),
        area: 'iam-acl',
        headers: { accept: jsonType },
      });
      const { allowed } = parseObject(response, context);
      if (typeof allowed !== 'boolean') throw unexpectedResponse(context, response.status, '/allowed is not a boolean');
      return allowed;
    },
    close() {
      closing ??= ownTransport ? transport.close() : Promise.resolve();
      return closing;
    },
  };
}

/**
 * `dcos:secrets:default:/a/b` → `dcos:secrets:default:%252Fa%252Fb` (docs/wire-formats.md#iam-administration). Colons
 * stay.
 */
export function encodeRid(rid: string): string {
  if (typeof rid !== 'string' || rid === '')
    throw new SecretsAgentError('ERR_USAGE', 'Expected `rid` to be a non-empty string');
  return rid
    .split('/')
    .map((part) => encodeURIComponent(part).replaceAll('%3A', ':'))
    .join('%252F');
}

function encodeUid(uid: string): string {
  if (typeof uid !== 'string' || uid === '' || uid === '.' || uid === '..')
    throw new SecretsAgentError('ERR_USAGE', 'Expected `uid` to be a non-empty string');
  return encodeURIComponent(uid);
}

function encodeAction(action: string): string {
  if (!actions.includes(action as IamAction))
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`action\` to be one of ${actions.join(', ')}, got \`${String(action).slice(0, 40)}\``,
    );
  return action;
}
