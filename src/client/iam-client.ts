// The IAM API (`/acs/api/v1`, docs/wire-formats.md#iam-login): login, and the administration calls a superuser
// makes (accounts, groups, memberships, ACLs, grants). Rids go into URLs with `/` written as `%252F`, as DC/OS expects.
import { SecretsAgentError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { createApiCaller, type ApiCaller } from './api-caller.js';
import { parseBaseUrl } from './client-options.js';
import { unexpectedResponse, type ApiArea } from './http-error.js';
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

export interface IamGroup {
  readonly gid: string;
  readonly description: string;
}

/** Actions granted on one rid. */
export interface IamRidActions {
  readonly rid: string;
  readonly actions: string[];
}

export interface IamAccountPermissions {
  readonly direct: IamRidActions[];
  readonly groups: Array<IamRidActions & { readonly gid: string }>;
}

export interface IamGroupGrant {
  readonly gid: string;
  readonly rid: string;
  readonly action: IamAction;
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
  /** `PATCH /users/{uid}` with the fields given. */
  updateAccount(uid: string, changes: { description?: string; password?: string }): Promise<void>;
  /** `GET /users/{uid}/permissions`: direct grants and grants through groups. */
  accountPermissions(uid: string): Promise<IamAccountPermissions>;
  listGroups(): Promise<IamGroup[]>;
  getGroup(gid: string): Promise<IamGroup>;
  createGroup(gid: string, description?: string): Promise<void>;
  updateGroup(gid: string, description: string): Promise<void>;
  deleteGroup(gid: string): Promise<void>;
  addMember(gid: string, uid: string): Promise<void>;
  removeMember(gid: string, uid: string): Promise<void>;
  /** `GET /groups/{gid}/users`. */
  listMembers(gid: string): Promise<IamAccount[]>;
  /** `GET /groups/{gid}/permissions`. */
  groupPermissions(gid: string): Promise<IamRidActions[]>;
  grantGroup(input: IamGroupGrant): Promise<void>;
  revokeGroup(input: IamGroupGrant): Promise<void>;
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
  const groupGrantPath = (input: IamGroupGrant): string =>
    `${base}/acls/${encodeRid(input.rid)}/groups/${encodeUid(input.gid, 'gid')}/${encodeAction(input.action)}`;
  const groupPath = (gid: string): string => `${base}/groups/${encodeUid(gid, 'gid')}`;
  const getJson = async (path: string, area: ApiArea): Promise<{ body: Record<string, unknown>; fail: Fail }> => {
    const { response, context } = await call({ method: 'GET', path, area, headers: { accept: jsonType } });
    return {
      body: parseObject(response, context),
      fail: (detail) => unexpectedResponse(context, response.status, detail),
    };
  };

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
    async updateAccount(uid, changes) {
      const body = {
        ...(changes.description === undefined ? {} : { description: changes.description }),
        ...(changes.password === undefined ? {} : { password: changes.password }),
      };
      await call({ method: 'PATCH', path: `${base}/users/${encodeUid(uid)}`, area: 'iam-account', ...jsonBody(body) });
    },
    async accountPermissions(uid) {
      const { body, fail } = await getJson(`${base}/users/${encodeUid(uid)}/permissions`, 'iam-account');
      const direct = parseRidActions(body['direct'], '/direct', fail);
      const groups = asArray(body['groups'], '/groups', fail).map((item, index) => {
        const entry = parseRidActionsItem(item, `/groups/${index}`, fail);
        const gid = (item as Record<string, unknown>)['gid'];
        if (typeof gid !== 'string') throw fail(`/groups/${index}/gid is not a string`);
        return { ...entry, gid };
      });
      return { direct, groups };
    },
    async listGroups() {
      const { body, fail } = await getJson(`${base}/groups`, 'iam-group');
      return asArray(body['array'], '/array', fail).map((item, index) => parseGroup(item, `/array/${index}`, fail));
    },
    async getGroup(gid) {
      const { body, fail } = await getJson(groupPath(gid), 'iam-group');
      return parseGroup(body, '', fail);
    },
    async createGroup(gid, description) {
      await call({
        method: 'PUT',
        path: groupPath(gid),
        area: 'iam-group',
        ...jsonBody(description === undefined ? {} : { description }),
      });
    },
    async updateGroup(gid, description) {
      await call({ method: 'PATCH', path: groupPath(gid), area: 'iam-group', ...jsonBody({ description }) });
    },
    async deleteGroup(gid) {
      await call({ method: 'DELETE', path: groupPath(gid), area: 'iam-group' });
    },
    async addMember(gid, uid) {
      await call({ method: 'PUT', path: `${groupPath(gid)}/users/${encodeUid(uid)}`, area: 'iam-group' });
    },
    async removeMember(gid, uid) {
      await call({ method: 'DELETE', path: `${groupPath(gid)}/users/${encodeUid(uid)}`, area: 'iam-group' });
    },
    async listMembers(gid) {
      const { body, fail } = await getJson(`${groupPath(gid)}/users`, 'iam-group');
      return asArray(body['array'], '/array', fail).map((item, index) => {
        const user = typeof item === 'object' && item !== null ? (item as Record<string, unknown>)['user'] : undefined;
        if (typeof user !== 'object' || user === null) throw fail(`/array/${index}/user is not an object`);
        const { uid, description, is_service: isService } = user as Record<string, unknown>;
        if (typeof uid !== 'string') throw fail(`/array/${index}/user/uid is not a string`);
        return { uid, description: typeof description === 'string' ? description : '', isService: isService === true };
      });
    },
    async groupPermissions(gid) {
      const { body, fail } = await getJson(`${groupPath(gid)}/permissions`, 'iam-group');
      return parseRidActions(body['array'], '/array', fail);
    },
    async grantGroup(input) {
      await call({ method: 'PUT', path: groupGrantPath(input), area: 'iam-acl' });
    },
    async revokeGroup(input) {
      await call({ method: 'DELETE', path: groupGrantPath(input), area: 'iam-acl' });
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

function encodeUid(uid: string, what = 'uid'): string {
  if (typeof uid !== 'string' || uid === '' || uid === '.' || uid === '..')
    throw new SecretsAgentError('ERR_USAGE', `Expected \`${what}\` to be a non-empty string`);
  return encodeURIComponent(uid);
}

type Fail = (detail: string) => SecretsAgentError;

function asArray(value: unknown, pointer: string, fail: Fail): unknown[] {
  if (!Array.isArray(value)) throw fail(`${pointer} is not an array`);
  return value;
}

function parseGroup(item: unknown, pointer: string, fail: Fail): IamGroup {
  if (typeof item !== 'object' || item === null) throw fail(`${pointer} is not an object`);
  const { gid, description } = item as Record<string, unknown>;
  if (typeof gid !== 'string') throw fail(`${pointer}/gid is not a string`);
  return { gid, description: typeof description === 'string' ? description : '' };
}

// `[{"rid", "actions": [{"name", "url"}]}]` → rid and action names.
function parseRidActions(value: unknown, pointer: string, fail: Fail): IamRidActions[] {
  return asArray(value, pointer, fail).map((item, index) => parseRidActionsItem(item, `${pointer}/${index}`, fail));
}

function parseRidActionsItem(item: unknown, at: string, fail: Fail): IamRidActions {
  if (typeof item !== 'object' || item === null) throw fail(`${at} is not an object`);
  const { rid, actions } = item as Record<string, unknown>;
  if (typeof rid !== 'string') throw fail(`${at}/rid is not a string`);
  const names = asArray(actions, `${at}/actions`, fail).map((action, actionIndex) => {
    const name = typeof action === 'object' && action !== null ? (action as Record<string, unknown>)['name'] : action;
    if (typeof name !== 'string') throw fail(`${at}/actions/${actionIndex}/name is not a string`);
    return name;
  });
  return { rid, actions: names };
}

function encodeAction(action: string): string {
  if (!actions.includes(action as IamAction))
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`action\` to be one of ${actions.join(', ')}, got \`${String(action).slice(0, 40)}\``,
    );
  return action;
}
