// The IAM HTTP API (`/acs/api/v1`, docs/wire-formats.md#iam-login, docs/wire-formats.md#iam-administration): login
// and JWKS are open, everything else needs `dcos:superuser` `full` (DC/OS guards its whole IAM API
// with one admin permission, so there is no self-service path, not even for one's own password). Rids in paths arrive percent-encoded once
// (`%2F`) or twice (`%252F`, as the DC/OS docs' curl commands write them); both decode to `/`.
import type { TLSSocket } from 'node:tls';
import { SecretsAgentError } from '../../core/errors.js';
import { parseJsonBody, readBody } from '../http/read-body.js';
import { sendEmpty, sendJson } from '../http/respond.js';
import type { Route, RouteContext } from '../http/router.js';
import type { Iam } from '../iam/iam.js';
import { groupNotFound } from '../iam/iam-groups.js';
import {
  assertGid,
  assertUid,
  parseAction,
  parseDescription,
  type Account,
  type AclRecord,
  type GroupRecord,
} from '../iam/iam-records.js';
import { parseLoginRequest } from '../iam/login.js';
import { assertRid, superuserRid } from '../iam/rid.js';

const maxIamBodyBytes = 64 * 1024;
const base = '/acs/api/v1';
export const authCookieName = 'dcos-acs-auth-cookie';

// The routes the store mounts next to the Secrets API.
export function createIamRoutes(iam: Iam): Route[] {
  const asSuperuser =
    (handler: (context: RouteContext) => Promise<void>) =>
    async (context: RouteContext): Promise<void> => {
      await context.authorize(superuserRid, 'full');
      await handler(context);
    };

  return [
    {
      method: 'POST',
      pattern: `${base}/auth/login`,
      async handler({ req, res }) {
        const request = parseLoginRequest(parseJsonBody(await readBody(req, maxIamBodyBytes), 'login'));
        const result = await iam.login(request, req.socket.remoteAddress ?? 'unknown');
        const secure = (req.socket as Partial<TLSSocket>).encrypted === true ? '; Secure' : '';
        const cookie = `${authCookieName}=${result.token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${result.expiresInSeconds}${secure}`;
        sendJson(res, 200, { token: result.token }, { 'set-cookie': cookie, 'cache-control': 'no-store' });
      },
    },
    {
      method: 'GET',
      pattern: `${base}/auth/jwks`,
      async handler({ res }) {
        sendJson(res, 200, iam.jwks());
      },
    },
    {
      method: 'GET',
      pattern: `${base}/users`,
      handler: asSuperuser(async ({ url, res }) => {
        // Users unless `?type=service`, as DC/OS lists them.
        const type = readAccountType(url) ?? 'user';
        sendJson(res, 200, { array: iam.listAccounts(type).map(formatAccount) });
      }),
    },
    {
      method: 'GET',
      pattern: `${base}/users/:uid`,
      handler: asSuperuser(async ({ params, res }) => {
        const uid = decodeUidParam(params['uid']);
        const account = iam.getAccount(uid);
        if (account === undefined)
          throw new SecretsAgentError('ERR_IAM_ACCOUNT_NOT_FOUND', `User \`${uid}\` not known.`, { details: { uid } });
        sendJson(res, 200, formatAccount(account));
      }),
    },
    {
      method: 'PUT',
      pattern: `${base}/users/:uid`,
      handler: asSuperuser(async ({ req, params, res }) => {
        const uid = decodeUidParam(params['uid']);
        const body = parseObject(parseJsonBody(await readBody(req, maxIamBodyBytes), 'account'), 'account');
        const description = parseDescription(body['description'], '/description');
        const { password, public_key: publicKey } = body;
        if (password !== undefined && publicKey !== undefined)
          throw new SecretsAgentError(
            'ERR_INPUT_INVALID',
            'account: send either /password (user) or /public_key (service account), not both',
          );
        if (publicKey !== undefined)
          await iam.createServiceAccount({ uid, publicKeyPem: requireString(publicKey, '/public_key'), description });
        else if (password !== undefined)
          await iam.createUser({ uid, password: requireString(password, '/password'), description });
        else
          throw new SecretsAgentError(
            'ERR_INPUT_INVALID',
            'account: /password (user) or /public_key (service account) is required',
          );
        sendEmpty(res, 201);
      }),
    },
    {
      method: 'PATCH',
      pattern: `${base}/users/:uid`,
      handler: asSuperuser(async ({ req, params, res }) => {
        const uid = decodeUidParam(params['uid']);
        const body = parseObject(parseJsonBody(await readBody(req, maxIamBodyBytes), 'account'), 'account');
        if (body['public_key'] !== undefined && body['public_key'] !== null)
          throw new SecretsAgentError(
            'ERR_INPUT_INVALID',
            'account: /public_key cannot be changed; delete the service account and create it again with the new key',
          );
        const { description, password } = body;
        await iam.updateAccount(uid, {
          ...(description === undefined || description === null
            ? {}
            : { description: parseDescription(description, '/description') }),
          ...(password === undefined || password === null ? {} : { password: requireString(password, '/password') }),
        });
        sendEmpty(res, 204);
      }),
    },
    {
      method: 'DELETE',
      pattern: `${base}/users/:uid`,
      handler: asSuperuser(async ({ params, res }) => {
        await iam.deleteAccount(decodeUidParam(params['uid']));
        sendEmpty(res, 204);
      }),
    },
    {
      method: 'GET',
      pattern: `${base}/users/:uid/groups`,
      handler: asSuperuser(async ({ params, res }) => {
        const uid = decodeUidParam(params['uid']);
        const array = iam
          .listGroupsOf(uid)
          .map((group) => ({ membershipurl: membershipUrl(group.gid, uid), group: formatGroup(group) }));
        sendJson(res, 200, { array });
      }),
    },
    {
      method: 'GET',
      pattern: `${base}/users/:uid/permissions`,
      handler: asSuperuser(async ({ params, res }) => {
        const uid = decodeUidParam(params['uid']);
        const { direct, groups } = iam.permissionsOf(uid);
        sendJson(res, 200, {
          direct: direct.map(({ rid, actions }) => ({
            rid,
            actions: actions.map((name) => ({ name, url: `${aclUrl(rid)}/users/${uid}/${name}` })),
          })),
          groups: groups.map(({ rid, gid, actions }) => ({
            rid,
            gid,
            actions: actions.map((name) => ({ name, url: `${aclUrl(rid)}/groups/${gid}/${name}` })),
          })),
        });
      }),
    },
    {
      method: 'GET',
      pattern: `${base}/groups`,
      handler: asSuperuser(async ({ res }) => {
        sendJson(res, 200, { array: iam.listGroups().map(formatGroup) });
      }),
    },
    {
      method: 'GET',
      pattern: `${base}/groups/:gid`,
      handler: asSuperuser(async ({ params, res }) => {
        const gid = decodeGidParam(params['gid']);
        const group = iam.getGroup(gid);
        if (group === undefined) throw groupNotFound(gid);
        sendJson(res, 200, formatGroup(group));
      }),
    },
    {
      method: 'PUT',
      pattern: `${base}/groups/:gid`,
      handler: asSuperuser(async ({ req, params, res }) => {
        const gid = decodeGidParam(params['gid']);
        const parsed = parseJsonBody(await readBody(req, maxIamBodyBytes), 'group');
        const body = parsed === undefined ? {} : parseObject(parsed, 'group');
        await iam.createGroup(gid, parseDescription(body['description'], '/description'));
        sendEmpty(res, 201);
      }),
    },
    {
      method: 'PATCH',
      pattern: `${base}/groups/:gid`,
      handler: asSuperuser(async ({ req, params, res }) => {
        const gid = decodeGidParam(params['gid']);
        const body = parseObject(parseJsonBody(await readBody(req, maxIamBodyBytes), 'group'), 'group');
        if (typeof body['description'] !== 'string')
          throw new SecretsAgentError('ERR_INPUT_INVALID', 'group: /description must be a string');
        await iam.updateGroup(gid, parseDescription(body['description'], '/description'));
        sendEmpty(res, 204);
      }),
    },
    {
      method: 'DELETE',
      pattern: `${base}/groups/:gid`,
      handler: asSuperuser(async ({ params, res }) => {
        await iam.deleteGroup(decodeGidParam(params['gid']));
        sendEmpty(res, 204);
      }),
    },
    {
      method: 'GET',
      pattern: `${base}/groups/:gid/users`,
      handler: asSuperuser(async ({ params, url, res }) => {
        const gid = decodeGidParam(params['gid']);
        // Every member, or only users or service accounts with `?type=`.
        const type = readAccountType(url);
        const array = iam
          .listMembers(gid)
          .filter((account) => type === undefined || account.kind === type)
          .map((account) => ({ membershipurl: membershipUrl(gid, account.uid), user: formatMember(account) }));
        sendJson(res, 200, { array });
      }),
    },
    {
      method: 'GET',
      pattern: `${base}/groups/:gid/permissions`,
      handler: asSuperuser(async ({ params, res }) => {
        const gid = decodeGidParam(params['gid']);
        const array = iam.groupPermissions(gid).map(({ rid, actions }) => ({
          rid,
          actions: actions.map((name) => ({ name, url: `${aclUrl(rid)}/groups/${gid}/${name}` })),
        }));
        sendJson(res, 200, { array });
      }),
    },
    {
      method: 'PUT',
      pattern: `${base}/groups/:gid/users/:uid`,
      handler: asSuperuser(async ({ params, res }) => {
        await iam.addMember(decodeGidParam(params['gid']), decodeUidParam(params['uid']));
        sendEmpty(res, 204);
      }),
    },
    {
      method: 'DELETE',
      pattern: `${base}/groups/:gid/users/:uid`,
      handler: asSuperuser(async ({ params, res }) => {
        await iam.removeMember(decodeGidParam(params['gid']), decodeUidParam(params['uid']));
        sendEmpty(res, 204);
      }),
    },
    {
      method: 'GET',
      pattern: `${base}/acls`,
      handler: asSuperuser(async ({ res }) => {
        sendJson(res, 200, { array: iam.listAcls().map(formatAcl) });
      }),
    },
    {
      method: 'GET',
      pattern: `${base}/acls/:rid`,
      handler: asSuperuser(async ({ params, res }) => {
        const rid = decodeRidParam(params['rid']);
        const acl = iam.getAcl(rid);
        if (acl === undefined)
          throw new SecretsAgentError('ERR_IAM_ACL_NOT_FOUND', `ACL \`${rid}\` does not exist`, { details: { rid } });
        sendJson(res, 200, formatAcl(acl));
      }),
    },
    {
      method: 'PUT',
      pattern: `${base}/acls/:rid`,
      handler: asSuperuser(async ({ req, params, res }) => {
        const rid = decodeRidParam(params['rid']);
        const parsed = parseJsonBody(await readBody(req, maxIamBodyBytes), 'ACL');
        const body = parsed === undefined ? {} : parseObject(parsed, 'ACL');
        await iam.createAcl(rid, parseDescription(body['description'], '/description'));
        sendEmpty(res, 201);
      }),
    },
    {
      method: 'DELETE',
      pattern: `${base}/acls/:rid`,
      handler: asSuperuser(async ({ params, res }) => {
        await iam.deleteAcl(decodeRidParam(params['rid']));
        sendEmpty(res, 204);
      }),
    },
    {
      method: 'GET',
      pattern: `${base}/acls/:rid/users/:uid`,
      handler: asSuperuser(async ({ params, res }) => {
        const rid = decodeRidParam(params['rid']);
        const uid = decodeUidParam(params['uid']);
        const actions = iam
          .grantedActions(uid, rid)
          .map((name) => ({ name, url: `${aclUrl(rid)}/users/${uid}/${name}` }));
        sendJson(res, 200, { actions });
      }),
    },
    {
      method: 'PUT',
      pattern: `${base}/acls/:rid/users/:uid/:action`,
      handler: asSuperuser(async ({ params, res }) => {
        await iam.grant(decodeGrantParams(params));
        sendEmpty(res, 204);
      }),
    },
    {
      method: 'GET',
      pattern: `${base}/acls/:rid/users/:uid/:action`,
      handler: asSuperuser(async ({ params, res }) => {
        const { uid, rid, action } = decodeGrantParams(params);
        // A user's permissions are its own grants plus its groups'.
        const actions = iam.effectiveActions(uid, rid);
        sendJson(res, 200, { allowed: actions.includes(action) || actions.includes('full') });
      }),
    },
    {
      method: 'DELETE',
      pattern: `${base}/acls/:rid/users/:uid/:action`,
      handler: asSuperuser(async ({ params, res }) => {
        await iam.revoke(decodeGrantParams(params));
        sendEmpty(res, 204);
      }),
    },
    {
      method: 'GET',
      pattern: `${base}/acls/:rid/groups/:gid`,
      handler: asSuperuser(async ({ params, res }) => {
        const rid = decodeRidParam(params['rid']);
        const gid = decodeGidParam(params['gid']);
        const actions = iam
          .groupGrantedActions(gid, rid)
          .map((name) => ({ name, url: `${aclUrl(rid)}/groups/${gid}/${name}` }));
        sendJson(res, 200, { actions });
      }),
    },
    {
      method: 'PUT',
      pattern: `${base}/acls/:rid/groups/:gid/:action`,
      handler: asSuperuser(async ({ params, res }) => {
        await iam.grantGroup(decodeGroupGrantParams(params));
        sendEmpty(res, 204);
      }),
    },
    {
      method: 'GET',
      pattern: `${base}/acls/:rid/groups/:gid/:action`,
      handler: asSuperuser(async ({ params, res }) => {
        const { gid, rid, action } = decodeGroupGrantParams(params);
        const actions = iam.groupGrantedActions(gid, rid);
        sendJson(res, 200, { allowed: actions.includes(action) || actions.includes('full') });
      }),
    },
    {
      method: 'DELETE',
      pattern: `${base}/acls/:rid/groups/:gid/:action`,
      handler: asSuperuser(async ({ params, res }) => {
        await iam.revokeGroup(decodeGroupGrantParams(params));
        sendEmpty(res, 204);
      }),
    },
  ];
}

// A rid from a path parameter: decoded once, and once more when it was double-encoded (`%252F`).
// Rids never contain `%`, so a second decode cannot misread a legitimate rid.
export function decodeRidParam(raw: string | undefined): string {
  let rid = raw ?? '';
  for (let round = 0; round < 2 && rid.includes('%'); round += 1) rid = decodeComponent(rid, 'rid');
  assertRid(rid);
  return rid;
}

function decodeUidParam(raw: string | undefined): string {
  const uid = decodeComponent(raw ?? '', 'uid');
  assertUid(uid);
  return uid;
}

function decodeGidParam(raw: string | undefined): string {
  const gid = decodeComponent(raw ?? '', 'gid');
  assertGid(gid);
  return gid;
}

function decodeGroupGrantParams(params: Readonly<Record<string, string>>): {
  gid: string;
  rid: string;
  action: ReturnType<typeof parseAction>;
} {
  return {
    rid: decodeRidParam(params['rid']),
    gid: decodeGidParam(params['gid']),
    action: parseAction(decodeComponent(params['action'] ?? '', 'action')),
  };
}

function decodeGrantParams(params: Readonly<Record<string, string>>): {
  uid: string;
  rid: string;
  action: ReturnType<typeof parseAction>;
} {
  return {
    rid: decodeRidParam(params['rid']),
    uid: decodeUidParam(params['uid']),
    action: parseAction(decodeComponent(params['action'] ?? '', 'action')),
  };
}

function decodeComponent(raw: string, what: string): string {
  try {
    return decodeURIComponent(raw);
  } catch (error) {
    throw new SecretsAgentError('ERR_INPUT_INVALID', `${what} in the URL is not valid percent-encoding`, {
      cause: error,
    });
  }
}

function parseObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SecretsAgentError('ERR_INPUT_INVALID', `${what}: expected a JSON object`);
  return value as Record<string, unknown>;
}

function requireString(value: unknown, pointer: string): string {
  if (typeof value !== 'string')
    throw new SecretsAgentError('ERR_INPUT_INVALID', `account: ${pointer} must be a string`);
  return value;
}

function formatAccount(account: Account): Record<string, unknown> {
  const common = {
    uid: account.uid,
    url: `${base}/users/${account.uid}`,
    description: account.description,
    is_remote: false,
    is_service: account.kind === 'service',
    provider_type: 'internal',
    provider_id: '',
  };
  return account.kind === 'service' ? { ...common, public_key: account.publicKeyPem } : common;
}

// A member as DC/OS lists it under a group: the account without its public key.
function formatMember(account: Account): Record<string, unknown> {
  const { public_key: _publicKey, ...member } = formatAccount(account);
  return member;
}

function formatGroup(group: GroupRecord): Record<string, unknown> {
  return { gid: group.gid, url: `${base}/groups/${group.gid}`, description: group.description };
}

function membershipUrl(gid: string, uid: string): string {
  return `${base}/groups/${gid}/users/${uid}`;
}

function formatAcl(acl: AclRecord): Record<string, unknown> {
  return { rid: acl.rid, url: aclUrl(acl.rid), description: acl.description };
}

// DC/OS writes `/` inside a rid as `%252F` in its URLs; the other rid characters are URL-safe.
function aclUrl(rid: string): string {
  return `${base}/acls/${rid.replaceAll('/', '%252F')}`;
}

// The `type` query parameter of the account listings: `user`, `service`, or absent.
function readAccountType(url: URL): 'user' | 'service' | undefined {
  const type = url.searchParams.get('type');
  if (type === null) return undefined;
  if (type === 'service' || type === 'user') return type;
  throw new SecretsAgentError(
    'ERR_INPUT_INVALID',
    `Expected query parameter \`type\` to be \`service\` or \`user\`, got \`${type.slice(0, 40)}\``,
  );
}
