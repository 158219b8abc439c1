// The Secret Store's IAM: accounts, ACLs and grants in storage (mirrored in memory), the
// AccessControl the router uses, the `/acs/api/v1/...` routes, and the operations the CLI
// bootstrap calls. Reads like a recipe: open the mirror, load the signing key, wire the parts.
import { createPublicKey, randomBytes } from 'node:crypto';
import { SecretsAgentError, isSecretsAgentError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { defaultClockSkewSeconds, signJwtAsync } from '../../crypto/jwt.js';
import type { AccessAction, AccessControl, Principal } from '../http/access.js';
import { readPresentedToken } from '../http/presented-token.js';
import type { Route } from '../http/router.js';
import { createIamRoutes } from '../routes/iam.js';
import type { StorageBackend } from '../storage/backend.js';
import { AuthTokenVerifier, type VerifiedToken } from './auth-token-verifier.js';
import { isAllowed, isSuperuser } from './decide-access.js';
import { createGroupOperations, groupNotFound, type GroupOperations } from './iam-groups.js';
import { IamMirror } from './iam-mirror.js';
import {
  accountKey,
  aclKey,
  assertUid,
  encodeRecord,
  grantKey,
  grantsFolderOf,
  groupGrantKey,
  parseAccountRecord,
  parseDescription,
  type Account,
  type AccountKind,
  type AclRecord,
  type GrantRecord,
  isUntaggedGrant,
} from './iam-records.js';
import { LoginChecker, type LoginRequest } from './login.js';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.js';
import { assertPassword, hashPassword } from './password-hash.js';
import { assertRid, normalizeRid } from './rid.js';
import { loadOrCreateSigningKey, parseSigningKey, type SigningKey } from './signing-key.js';

export const defaultTokenLifetimeSeconds = 5 * 24 * 60 * 60;
// A conditional account update lost to a concurrent one is retried this often before giving up.
const maxUpdateAttempts = 5;
const minServiceKeyBits = 2048;

export interface IamOptions {
  storage: StorageBackend;
  log: Logger;
  /** Lifetime of issued auth tokens; default 5 days (DC/OS `bouncer_expiration_auth_token_days`). */
  tokenLifetimeSeconds?: number;
  /** Clock in milliseconds since the epoch; default Date.now. */
  now?: () => number;
  /** Tolerance for token `exp`/`iat`; default 30 s. */
  clockSkewSeconds?: number;
  /** Overrides for the login throttle (free failures, delays). */
  loginThrottle?: Omit<LoginThrottleOptions, 'nowMs'>;
}

export interface CreateUserInput {
  readonly uid: string;
  readonly password: string;
  readonly description?: string;
}

export interface CreateServiceAccountInput {
  readonly uid: string;
  /** PEM of the account's RSA public key (SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`), at least 2048 bits. */
  readonly publicKeyPem: string;
  readonly description?: string;
}

export interface GrantInput {
  readonly uid: string;
  readonly rid: string;
  readonly action: AccessAction;
}

export interface LoginResult {
  readonly uid: string;
  readonly token: string;
  readonly expiresInSeconds: number;
}

export interface AccountChanges {
  readonly description?: string;
  /** Users only. */
  readonly password?: string;
}

/** One rid and the actions granted on it (`groups` entries also name the group). */
export interface RidActions {
  readonly rid: string;
  readonly actions: AccessAction[];
}

export interface AccountPermissions {
  readonly direct: RidActions[];
  readonly groups: Array<RidActions & { readonly gid: string }>;
}

export interface Iam extends GroupOperations {
  readonly access: AccessControl;
  readonly routes: readonly Route[];
  /** Checks credentials (throttled) and issues an auth token. */
  login(request: LoginRequest, peer: string): Promise<LoginResult>;
  /** Issues an auth token for an existing account without credentials (CLI bootstrap, tests). */
  issueToken(uid: string): Promise<string>;
  /** `{"keys":[<JWK>]}` of the token signing key. */
  jwks(): { keys: Array<Readonly<Record<string, string>>> };
  createUser(input: CreateUserInput): Promise<void>;
  createServiceAccount(input: CreateServiceAccountInput): Promise<void>;
  getAccount(uid: string): Account | undefined;
  /** Changes the description and/or a user's password; tokens already issued stay valid. */
  updateAccount(uid: string, changes: AccountChanges): Promise<void>;
  /** Grants of an existing account: its own and, per group, those it has through membership. */
  permissionsOf(uid: string): AccountPermissions;
  /** Grants of an existing group. */
  groupPermissions(gid: string): RidActions[];
  listAccounts(kind: AccountKind): Account[];
  /** Removes the account and all its grants; its tokens are refused from the next request on. */
  deleteAccount(uid: string): Promise<void>;
  createAcl(rid: string, description?: string): Promise<void>;
  getAcl(rid: string): AclRecord | undefined;
  listAcls(): AclRecord[];
  /** Removes the ACL and every grant on it. */
  deleteAcl(rid: string): Promise<void>;
  /** Grants `action` on `rid`; `createAcl` (default false) creates a missing ACL instead of failing. */
  grant(input: GrantInput, options?: { createAcl?: boolean }): Promise<void>;
  revoke(input: GrantInput): Promise<void>;
  /** Actions granted to `uid` itself on exactly this ACL (no wildcard matching, no groups). */
  grantedActions(uid: string, rid: string): AccessAction[];
  /** Actions granted on exactly this ACL to `uid` itself or to one of its groups. */
  effectiveActions(uid: string, rid: string): AccessAction[];
  /** The full decision authorize() makes (superuser, groups, wildcards, `full`). */
  isAllowed(uid: string, rid: string, action: AccessAction): boolean;
  /** Re-reads every IAM record from storage. */
  reload(): Promise<void>;
  /** Stops watching storage. Safe to call twice; does not close the storage. */
  close(): Promise<void>;
}

// Opens the IAM on `storage`: mirrors its records, creates the signing key on first start.
export async function createIam(options: IamOptions): Promise<Iam> {
  const nowMs = options.now ?? Date.now;
  const nowSeconds = (): number => nowMs() / 1000;
  const tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? defaultTokenLifetimeSeconds;
  assertInteger(tokenLifetimeSeconds, 'tokenLifetimeSeconds', 1);
  const clockSkewSeconds = options.clockSkewSeconds ?? defaultClockSkewSeconds;
  assertInteger(clockSkewSeconds, 'clockSkewSeconds', 0);
  const { storage, log } = options;

  let signingKey: SigningKey | undefined;
  let verifier: AuthTokenVerifier | undefined;
  const mirror = await IamMirror.open(storage, log, {
    onSigningKeyChange(record) {
      if (record === undefined) return;
      try {
        const next = parseSigningKey(record);
        const previous = signingKey;
        // Before the first load finishes, this is just our own key being created: nothing to replace.
        if (previous === undefined || next.kid === previous.kid) return;
        signingKey = next;
        verifier?.setPublicKey(next.publicKey);
        log.warn({ kid: next.kid }, 'IAM signing key changed in storage: tokens signed with the old key are refused');
      } catch (error) {
        log.error({ err: error }, 'IAM signing key in storage is unreadable; keeping the current one');
      }
    },
  });
  try {
    signingKey = await loadOrCreateSigningKey(storage, () => new Date(nowMs()));
  } catch (error) {
    mirror.close();
    throw error;
  }
  const currentKey = (): SigningKey => signingKey as SigningKey;
  verifier = new AuthTokenVerifier(currentKey().publicKey, { nowSeconds, clockSkewSeconds });
  const tokenVerifier = verifier;
  const throttle = new LoginThrottle({ ...options.loginThrottle, nowMs });
  const checker = new LoginChecker({
    mirror,
    throttle,
    log,
    nowSeconds,
    clockSkewSeconds,
    decoyPublicKey: currentKey().publicKey,
  });
  const isoNow = (): string => new Date(nowMs()).toISOString();

  const issueToken = async (uid: string): Promise<string> => {
    const account = mirror.account(uid);
    if (account === undefined) throw notFound(uid);
    const iat = Math.floor(nowSeconds());
    const key = currentKey();
    return signJwtAsync({ uid, iat, exp: iat + tokenLifetimeSeconds, acct: account.epoch }, key.privateKey, {
      kid: key.kid,
    });
  };

  // `Authorization: token=<t>` with <t> exactly a token verified before: readPresentedToken would
  // return that very <t> (a verified token has no whitespace to trim or refuse), so skip its parse.
  const recallPresentedToken = (authorization: string | undefined): VerifiedToken | undefined =>
    authorization?.startsWith(tokenPrefix) === true
      ? tokenVerifier.recall(authorization.slice(tokenPrefix.length))
      : undefined;

  const access: AccessControl = {
    async authenticate(headers) {
      const verified =
        recallPresentedToken(headers.authorization) ?? (await tokenVerifier.verify(requirePresentedToken(headers)));
      const account = mirror.account(verified.uid);
      // A token outlives neither its account nor a re-creation of the same uid.
      if (account === undefined || verified.acct !== account.epoch) {
        throw new SecretsAgentError('ERR_AUTH_TOKEN_INVALID', 'token names an account that does not exist');
      }
      const principal: Principal = {
        uid: verified.uid,
        superuser: isSuperuser(mirror.effectiveGrantsOf(verified.uid)),
      };
      return principal;
    },
    async authorize(principal, rid, action) {
      if (isAllowed(mirror.effectiveGrantsOf(principal.uid), rid, action)) return;
      throw new SecretsAgentError(
        'ERR_FORBIDDEN',
        `Forbidden: \`${principal.uid}\` lacks permission \`${rid}\` \`${action}\``,
        { details: { rid, action, uid: principal.uid } },
      );
    },
    listGrants: (principal) =>
      [...(mirror.effectiveGrantsOf(principal.uid) ?? [])].map(([rid, actions]) => ({
        rid,
        actions: [...actions].sort(),
      })),
  };

  const createAccount = async (account: Account): Promise<void> => {
    const key = accountKey(account.uid);
    const value = encodeRecord(account);
    // Grants left behind by an interrupted delete of the same uid must not pass to the new account.
    // Those that name their account's epoch never will (this one has a new epoch) and stay until
    // the uid is deleted; only grants from before epochs were stored are removed here. Removing
    // epoch-tagged ones too would race: another instance may have created this uid a moment ago,
    // and granted it something, while our mirror has not seen it yet.
    for (const storedKey of await storage.list(grantsFolderOf(account.uid))) {
      const stored = await storage.get(storedKey);
      if (stored !== undefined && !isUntaggedGrant(stored.value, storedKey)) continue;
      await storage.delete(storedKey);
      mirror.applyWritten(storedKey, undefined);
    }
    try {
      await storage.create(key, value);
    } catch (error) {
      if (isSecretsAgentError(error, 'ERR_STORAGE_CONFLICT')) {
        throw new SecretsAgentError('ERR_IAM_ACCOUNT_EXISTS', `account \`${account.uid}\` already exists`, {
          details: { uid: account.uid },
        });
      }
      throw error;
    }
    mirror.applyWritten(key, value);
    log.info({ uid: account.uid, kind: account.kind }, 'IAM account created');
  };

  const deleteGrants = async (grants: readonly GrantRecord[]): Promise<void> => {
    for (const grant of grants) {
      const key = grantKey(grant.uid, grant.rid, grant.action);
      await storage.delete(key);
      mirror.applyWritten(key, undefined);
    }
  };

  const groups = createGroupOperations({
    storage,
    mirror,
    log,
    isoNow,
    async ensureAcl(rid, create) {
      if (mirror.acl(aclKey(rid)) !== undefined) return;
      if (!create) throw aclNotFound(rid);
      await iam.createAcl(rid).catch((error: unknown) => {
        if (!isSecretsAgentError(error, 'ERR_IAM_ACL_EXISTS')) throw error;
      });
    },
  });

  let closed = false;
  const routes: Route[] = [];
  const iam: Iam = {
    ...groups,
    access,
    routes,
    async login(request, peer) {
      const uid = await checker.check(request, peer);
      // Deleted between the check and now: still only "Login failed", never "no such account".
      const token = await issueToken(uid).catch((error: unknown) => {
        throw isSecretsAgentError(error, 'ERR_IAM_ACCOUNT_NOT_FOUND')
          ? new SecretsAgentError('ERR_AUTH_LOGIN_FAILED', 'Login failed')
          : error;
      });
      log.info({ uid, peer }, 'login succeeded');
      return { uid, token, expiresInSeconds: tokenLifetimeSeconds };
    },
    issueToken,
    jwks: () => ({ keys: [currentKey().jwk] }),

    async createUser(input) {
      assertUid(input.uid);
      assertPassword(input.password);
      const description = parseDescription(input.description, 'description');
      if (mirror.account(input.uid) !== undefined) throw exists(input.uid);
      const passwordHash = await hashPassword(input.password);
      await createAccount({
        kind: 'user',
        uid: input.uid,
        epoch: newEpoch(),
        description,
        passwordHash,
        createdAt: isoNow(),
      });
    },

    async createServiceAccount(input) {
      assertUid(input.uid);
      const description = parseDescription(input.description, 'description');
      const publicKeyPem = parseServicePublicKey(input.publicKeyPem);
      if (mirror.account(input.uid) !== undefined) throw exists(input.uid);
      await createAccount({
        kind: 'service',
        uid: input.uid,
        epoch: newEpoch(),
        description,
        publicKeyPem,
        createdAt: isoNow(),
      });
    },

    getAccount: (uid) => mirror.account(uid),

    async updateAccount(uid, changes) {
      assertUid(uid);
      const description =
        changes.description === undefined ? undefined : parseDescription(changes.description, '/description');
      if (description === undefined && changes.password === undefined)
        throw new SecretsAgentError('ERR_INPUT_INVALID', 'account: send /description, /password or both');
      if (changes.password !== undefined) assertPassword(changes.password);
      const key = accountKey(uid);
      let passwordHash: Awaited<ReturnType<typeof hashPassword>> | undefined;
      for (let attempt = 1; ; attempt += 1) {
        // Fresh: a record another instance just changed must not be overwritten with an old copy.
        const entry = await storage.get(key, { fresh: true });
        if (entry === undefined) throw notFound(uid);
        const current = parseAccountRecord(entry.value, key);
        if (changes.password !== undefined && current.kind !== 'user') {
          throw new SecretsAgentError(
            'ERR_INPUT_INVALID',
            `/password: \`${uid}\` is a service account, which logs in with its key and has no password`,
            { details: { uid } },
          );
        }
        if (changes.password !== undefined) passwordHash ??= await hashPassword(changes.password);
        const next: Account =
          current.kind === 'user'
            ? {
                ...current,
                ...(description === undefined ? {} : { description }),
                ...(passwordHash ? { passwordHash } : {}),
              }
            : { ...current, ...(description === undefined ? {} : { description }) };
        const value = encodeRecord(next);
        try {
          await storage.put(key, value, { expectedVersion: entry.version });
        } catch (error) {
          if (isSecretsAgentError(error, 'ERR_STORAGE_CONFLICT') && attempt < maxUpdateAttempts) continue;
          throw error;
        }
        mirror.applyWritten(key, value);
        const fields = [...(description === undefined ? [] : ['description']), ...(passwordHash ? ['password'] : [])];
        log.info({ uid, fields }, 'IAM account updated');
        return;
      }
    },

    permissionsOf(uid) {
      assertUid(uid);
      if (mirror.account(uid) === undefined) throw notFound(uid);
      return {
        direct: byRid(mirror.currentGrantRecordsOf(uid)),
        groups: mirror.groupsOf(uid).flatMap((group) =>
          byRid(mirror.groupGrantRecordsOf(group.gid)).map((entry) => ({
            rid: entry.rid,
            gid: group.gid,
            actions: entry.actions,
          })),
        ),
      };
    },

    groupPermissions(gid) {
      if (iam.getGroup(gid) === undefined) throw groupNotFound(gid);
      return byRid(mirror.groupGrantRecordsOf(gid));
    },
    listAccounts: (kind) => mirror.accounts().filter((account) => account.kind === kind),

    async deleteAccount(uid) {
      assertUid(uid);
      const key = accountKey(uid);
      if (mirror.account(uid) === undefined && (await storage.get(key)) === undefined) throw notFound(uid);
      // Account first: its tokens stop working at once. Grants left by a crash in between never
      // count (grants of missing accounts are ignored) and are purged when the uid is created again.
      await storage.delete(key);
      mirror.applyWritten(key, undefined);
      await deleteGrants(mirror.grantRecordsOf(uid));
      for (const membership of mirror.membershipKeysOf(uid)) {
        await storage.delete(membership);
        mirror.applyWritten(membership, undefined);
      }
      log.info({ uid }, 'IAM account deleted');
    },

    async createAcl(rawRid, rawDescription) {
      assertRid(rawRid);
      const rid = normalizeRid(rawRid);
      const description = parseDescription(rawDescription, 'description');
      const key = aclKey(rid);
      const value = encodeRecord({ rid, description, createdAt: isoNow() });
      try {
        await storage.create(key, value);
      } catch (error) {
        if (isSecretsAgentError(error, 'ERR_STORAGE_CONFLICT'))
          throw new SecretsAgentError('ERR_IAM_ACL_EXISTS', `ACL \`${rid}\` already exists`, { details: { rid } });
        throw error;
      }
      mirror.applyWritten(key, value);
      log.info({ rid }, 'IAM ACL created');
    },

    getAcl(rawRid) {
      assertRid(rawRid);
      return mirror.acl(aclKey(normalizeRid(rawRid)));
    },
    listAcls: () => mirror.acls(),

    async deleteAcl(rawRid) {
      assertRid(rawRid);
      const rid = normalizeRid(rawRid);
      const key = aclKey(rid);
      if (!(await storage.delete(key))) throw aclNotFound(rid);
      mirror.applyWritten(key, undefined);
      await deleteGrants(mirror.allGrantRecords().filter((grant) => normalizeRid(grant.rid) === rid));
      for (const grant of mirror.allGroupGrantRecords().filter((record) => normalizeRid(record.rid) === rid)) {
        const grantKeyOfGroup = groupGrantKey(grant.gid, rid, grant.action);
        await storage.delete(grantKeyOfGroup);
        mirror.applyWritten(grantKeyOfGroup, undefined);
      }
      log.info({ rid }, 'IAM ACL deleted');
    },

    async grant(input, grantOptions = {}) {
      assertUid(input.uid);
      assertRid(input.rid);
      const rid = normalizeRid(input.rid);
      const account = mirror.account(input.uid);
      if (account === undefined) throw notFound(input.uid);
      if (mirror.acl(aclKey(rid)) === undefined) {
        if (grantOptions.createAcl !== true) throw aclNotFound(rid);
        await iam.createAcl(rid).catch((error: unknown) => {
          if (!isSecretsAgentError(error, 'ERR_IAM_ACL_EXISTS')) throw error;
        });
      }
      const key = grantKey(input.uid, rid, input.action);
      const record: GrantRecord = { rid, uid: input.uid, action: input.action, accountEpoch: account.epoch };
      const value = encodeRecord(record);
      await storage.put(key, value);
      mirror.applyWritten(key, value);
      log.info({ uid: input.uid, rid, action: input.action }, 'IAM permission granted');
    },

    async revoke(input) {
      assertUid(input.uid);
      assertRid(input.rid);
      const rid = normalizeRid(input.rid);
      const key = grantKey(input.uid, rid, input.action);
      if (!(await storage.delete(key))) {
        throw new SecretsAgentError(
          'ERR_IAM_ACL_NOT_FOUND',
          `\`${input.uid}\` has no grant \`${rid}\` \`${input.action}\``,
          { details: { rid, uid: input.uid, action: input.action } },
        );
      }
      mirror.applyWritten(key, undefined);
      log.info({ uid: input.uid, rid, action: input.action }, 'IAM permission revoked');
    },

    grantedActions(uid, rawRid) {
      const rid = normalizeRid(rawRid);
      return [...(mirror.grantsOf(uid)?.get(rid) ?? [])].sort();
    },
    effectiveActions(uid, rawRid) {
      return [...(mirror.effectiveGrantsOf(uid)?.get(normalizeRid(rawRid)) ?? [])].sort();
    },
    isAllowed: (uid, rid, action) => isAllowed(mirror.effectiveGrantsOf(uid), rid, action),
    reload: () => mirror.reload(),
    async close() {
      if (closed) return;
      closed = true;
      mirror.close();
    },
  };
  routes.push(...createIamRoutes(iam));
  return iam;
}

// Narrows a service account's public key: an RSA public key PEM of at least 2048 bits, stored as SPKI PEM.
export function parseServicePublicKey(pem: unknown): string {
  if (
    typeof pem !== 'string' ||
    pem.length > 16_384 ||
    !/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem) ||
    /PRIVATE KEY/.test(pem)
  ) {
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      '/public_key: expected an RSA public key in PEM format (`-----BEGIN PUBLIC KEY-----`)',
    );
  }
  let key;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new SecretsAgentError('ERR_INPUT_INVALID', '/public_key: the PEM does not hold a readable public key', {
      cause: error,
    });
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < minServiceKeyBits) {
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `/public_key: expected an RSA key of at least ${minServiceKeyBits} bits, got ${key.asymmetricKeyType ?? 'unknown'} ${bits} bits`,
    );
  }
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

function assertInteger(value: unknown, name: string, min: 0 | 1): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    const expected = min === 0 ? 'a non-negative integer' : 'a positive integer';
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`${name}\` to be ${expected}, got \`${String(value)}\` (${typeof value})`,
    );
  }
}

const tokenPrefix = 'token=';

// The presented token (see readPresentedToken); ERR_AUTH_REQUIRED when there is none.
function requirePresentedToken(headers: { authorization?: string | undefined; cookie?: string | undefined }): string {
  const token = readPresentedToken(headers);
  if (token === undefined)
    throw new SecretsAgentError('ERR_AUTH_REQUIRED', 'authentication required: send `Authorization: token=<token>`');
  return token;
}

// Grant records folded into one entry per rid, actions sorted, rids sorted.
function byRid(grants: ReadonlyArray<{ readonly rid: string; readonly action: AccessAction }>): RidActions[] {
  const actions = new Map<string, Set<AccessAction>>();
  for (const grant of grants) {
    const rid = normalizeRid(grant.rid);
    const set = actions.get(rid) ?? new Set<AccessAction>();
    set.add(grant.action);
    actions.set(rid, set);
  }
  return [...actions]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([rid, set]) => ({ rid, actions: [...set].sort() }));
}

function newEpoch(): string {
  return randomBytes(12).toString('base64url');
}

function exists(uid: string): SecretsAgentError {
  return new SecretsAgentError('ERR_IAM_ACCOUNT_EXISTS', `account \`${uid}\` already exists`, { details: { uid } });
}

function notFound(uid: string): SecretsAgentError {
  return new SecretsAgentError('ERR_IAM_ACCOUNT_NOT_FOUND', `account \`${uid}\` does not exist`, { details: { uid } });
}

function aclNotFound(rid: string): SecretsAgentError {
  return new SecretsAgentError('ERR_IAM_ACL_NOT_FOUND', `ACL \`${rid}\` does not exist`, { details: { rid } });
}
