// The IAM's records in storage (plain JSON, deliberately not behind the seal so a superuser can
// log in and unseal) and the storage keys they live under:
//   iam/accounts/<uid>                      users and service accounts
//   iam/acls/<sha256(rid)>                  ACLs (rid + description)
//   iam/grants/<uid>/<sha256(rid)>-<action> one record per granted action
//   iam/groups/<gid>                        groups (gid + description)
//   iam/members/<gid>/<uid>                 one record per group membership
//   iam/group-grants/<gid>/<sha256(rid)>-<action> one record per action granted to a group
//   iam/signing-key                         the store's RSA key for auth tokens
// Rids are hashed in keys because they contain `/` and may be longer than a file name.
// Memberships, group grants and grants carry the epochs of the group (and account) they were made
// for, so records left behind by an interrupted delete never pass to a group or account re-created
// later. Grants written before they carried one count for whichever account holds the uid; creating
// an account removes those.
import { createHash } from 'node:crypto';
import { SecretsAgentError } from '../../core/errors.js';
import { accessActions, type AccessAction } from '../http/access.js';
import { parsePasswordHash, type PasswordHash } from './password-hash.js';

export const iamPrefix = 'iam/';
const accountsFolder = 'iam/accounts/';
const aclsFolder = 'iam/acls/';
const grantsFolder = 'iam/grants/';
const groupsFolder = 'iam/groups/';
const membersFolder = 'iam/members/';
const groupGrantsFolder = 'iam/group-grants/';
export const signingKeyKey = 'iam/signing-key';

const uidPattern = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,95}$/;
const maxDescriptionChars = 1000;

export type AccountKind = 'user' | 'service';

export interface UserAccount {
  readonly kind: 'user';
  readonly uid: string;
  /** Random per account creation; tokens carry it (`acct`), so a re-created uid does not accept old tokens. */
  readonly epoch: string;
  readonly description: string;
  readonly passwordHash: PasswordHash;
  readonly createdAt: string;
}

export interface ServiceAccount {
  readonly kind: 'service';
  readonly uid: string;
  readonly epoch: string;
  readonly description: string;
  /** SPKI PEM of the account's RSA public key (at least 2048 bits). */
  readonly publicKeyPem: string;
  readonly createdAt: string;
}

export type Account = UserAccount | ServiceAccount;

export interface AclRecord {
  readonly rid: string;
  readonly description: string;
  readonly createdAt: string;
}

export interface GrantRecord {
  readonly rid: string;
  readonly uid: string;
  readonly action: AccessAction;
  /** The epoch of the account it was granted to; absent in grants stored before epochs were kept. */
  readonly accountEpoch?: string;
}

export interface GroupRecord {
  readonly gid: string;
  /** Random per group creation; memberships and group grants name it. */
  readonly epoch: string;
  readonly description: string;
  readonly createdAt: string;
}

export interface MembershipRecord {
  readonly gid: string;
  readonly uid: string;
  readonly groupEpoch: string;
  readonly accountEpoch: string;
}

export interface GroupGrantRecord {
  readonly rid: string;
  readonly gid: string;
  readonly action: AccessAction;
  readonly groupEpoch: string;
}

export interface SigningKeyRecord {
  /** PKCS#8 PEM of the RSA private key that signs auth tokens. */
  readonly privateKeyPem: string;
  readonly createdAt: string;
}

export type IamRecordKey =
  | { readonly type: 'account'; readonly uid: string }
  | { readonly type: 'acl'; readonly ridHash: string }
  | { readonly type: 'grant'; readonly uid: string; readonly name: string }
  | { readonly type: 'group'; readonly gid: string }
  | { readonly type: 'member'; readonly gid: string; readonly uid: string }
  | { readonly type: 'group-grant'; readonly gid: string; readonly name: string }
  | { readonly type: 'signing-key' };

// Throws ERR_INPUT_INVALID unless `uid` is 1–96 characters of [A-Za-z0-9_.@-] starting with a letter or digit.
export function assertUid(uid: unknown): asserts uid is string {
  if (typeof uid !== 'string' || !uidPattern.test(uid)) {
    const shown = typeof uid === 'string' ? `\`${uid.slice(0, 100)}\`` : `a ${typeof uid}`;
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `Expected uid to be 1-96 characters of [A-Za-z0-9_.@-] starting with a letter or digit, got ${shown}`,
    );
  }
}

// Throws ERR_INPUT_INVALID unless `gid` follows the same rules as a uid.
export function assertGid(gid: unknown): asserts gid is string {
  if (typeof gid !== 'string' || !uidPattern.test(gid)) {
    const shown = typeof gid === 'string' ? `\`${gid.slice(0, 100)}\`` : `a ${typeof gid}`;
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `Expected gid to be 1-96 characters of [A-Za-z0-9_.@-] starting with a letter or digit, got ${shown}`,
    );
  }
}

// Narrows an optional description from a request body or the CLI.
export function parseDescription(value: unknown, pointer: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string' || value.length > maxDescriptionChars) {
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `${pointer}: expected a string of at most ${maxDescriptionChars} characters`,
    );
  }
  return value;
}

// Narrows an action from a URL or the CLI; throws ERR_INPUT_INVALID naming the allowed ones.
export function parseAction(value: unknown): AccessAction {
  if (typeof value === 'string' && (accessActions as readonly string[]).includes(value)) return value as AccessAction;
  const shown = typeof value === 'string' ? `\`${value.slice(0, 40)}\`` : `a ${typeof value}`;
  throw new SecretsAgentError(
    'ERR_INPUT_INVALID',
    `Expected action to be one of ${accessActions.join(', ')}, got ${shown}`,
  );
}

// Storage key of an account record.
export function accountKey(uid: string): string {
  return `${accountsFolder}${uid}`;
}

// Storage key of an ACL record (`rid` normalized).
export function aclKey(rid: string): string {
  return `${aclsFolder}${hashRid(rid)}`;
}

// Storage folder holding every grant of `uid`.
export function grantsFolderOf(uid: string): string {
  return `${grantsFolder}${uid}`;
}

// Storage key of one granted action (`rid` normalized).
export function grantKey(uid: string, rid: string, action: AccessAction): string {
  return `${grantsFolder}${uid}/${hashRid(rid)}-${action}`;
}

// Storage key of a group record.
export function groupKey(gid: string): string {
  return `${groupsFolder}${gid}`;
}

// Storage folder holding every membership of group `gid`.
export function membersFolderOf(gid: string): string {
  return `${membersFolder}${gid}`;
}

// Storage key of one membership.
export function memberKey(gid: string, uid: string): string {
  return `${membersFolder}${gid}/${uid}`;
}

// Storage folder holding every grant of group `gid`.
export function groupGrantsFolderOf(gid: string): string {
  return `${groupGrantsFolder}${gid}`;
}

// Storage key of one action granted to a group (`rid` normalized).
export function groupGrantKey(gid: string, rid: string, action: AccessAction): string {
  return `${groupGrantsFolder}${gid}/${hashRid(rid)}-${action}`;
}

// Which kind of IAM record a storage key names (undefined: not ours).
export function classifyKey(key: string): IamRecordKey | undefined {
  if (key === signingKeyKey) return { type: 'signing-key' };
  const parts = key.split('/');
  if (key.startsWith(accountsFolder) && parts.length === 3) return { type: 'account', uid: parts[2] ?? '' };
  if (key.startsWith(aclsFolder) && parts.length === 3) return { type: 'acl', ridHash: parts[2] ?? '' };
  if (key.startsWith(grantsFolder) && parts.length === 4)
    return { type: 'grant', uid: parts[2] ?? '', name: parts[3] ?? '' };
  if (key.startsWith(groupsFolder) && parts.length === 3) return { type: 'group', gid: parts[2] ?? '' };
  if (key.startsWith(membersFolder) && parts.length === 4)
    return { type: 'member', gid: parts[2] ?? '', uid: parts[3] ?? '' };
  if (key.startsWith(groupGrantsFolder) && parts.length === 4)
    return { type: 'group-grant', gid: parts[2] ?? '', name: parts[3] ?? '' };
  return undefined;
}

// Serializes a record as versioned JSON.
export function encodeRecord(
  record: Account | AclRecord | GrantRecord | GroupRecord | MembershipRecord | GroupGrantRecord | SigningKeyRecord,
): Uint8Array {
  return Buffer.from(JSON.stringify({ format: 1, ...record }), 'utf8');
}

// Parses a stored account; ERR_STORE_CORRUPT names the key when it is unreadable.
export function parseAccountRecord(bytes: Uint8Array, key: string): Account {
  const object = parseObject(bytes, key);
  const uid = requireString(object, 'uid', key);
  const epoch = requireString(object, 'epoch', key);
  const description = requireString(object, 'description', key);
  const createdAt = requireString(object, 'createdAt', key);
  if (object['kind'] === 'user') {
    let passwordHash: PasswordHash;
    try {
      passwordHash = parsePasswordHash(object['passwordHash']);
    } catch (error) {
      throw corrupt(key, 'passwordHash is malformed', error);
    }
    return { kind: 'user', uid, epoch, description, passwordHash, createdAt };
  }
  if (object['kind'] === 'service') {
    return {
      kind: 'service',
      uid,
      epoch,
      description,
      publicKeyPem: requireString(object, 'publicKeyPem', key),
      createdAt,
    };
  }
  throw corrupt(key, '`kind` is neither user nor service');
}

// Parses a stored ACL; ERR_STORE_CORRUPT when unreadable.
export function parseAclRecord(bytes: Uint8Array, key: string): AclRecord {
  const object = parseObject(bytes, key);
  return {
    rid: requireString(object, 'rid', key),
    description: requireString(object, 'description', key),
    createdAt: requireString(object, 'createdAt', key),
  };
}

// Parses a stored grant; ERR_STORE_CORRUPT when unreadable or naming an unknown action.
export function parseGrantRecord(bytes: Uint8Array, key: string): GrantRecord {
  const object = parseObject(bytes, key);
  const action = requireAction(object, key);
  const grant = {
    rid: requireString(object, 'rid', key),
    uid: requireString(object, 'uid', key),
    action,
  };
  return object['accountEpoch'] === undefined
    ? grant
    : { ...grant, accountEpoch: requireString(object, 'accountEpoch', key) };
}

// Whether a stored grant names no account epoch (written before epochs were kept); an unreadable
// one counts as such, so creating the account removes it too.
export function isUntaggedGrant(bytes: Uint8Array, key: string): boolean {
  try {
    return parseGrantRecord(bytes, key).accountEpoch === undefined;
  } catch {
    return true;
  }
}

// Whether a grant was made for this incarnation of its account (or predates epochs).
export function isGrantOfAccount(grant: GrantRecord, account: Account): boolean {
  return grant.accountEpoch === undefined || grant.accountEpoch === account.epoch;
}

// Parses a stored group; ERR_STORE_CORRUPT when unreadable.
export function parseGroupRecord(bytes: Uint8Array, key: string): GroupRecord {
  const object = parseObject(bytes, key);
  return {
    gid: requireString(object, 'gid', key),
    epoch: requireString(object, 'epoch', key),
    description: requireString(object, 'description', key),
    createdAt: requireString(object, 'createdAt', key),
  };
}

// Parses a stored membership; ERR_STORE_CORRUPT when unreadable.
export function parseMembershipRecord(bytes: Uint8Array, key: string): MembershipRecord {
  const object = parseObject(bytes, key);
  return {
    gid: requireString(object, 'gid', key),
    uid: requireString(object, 'uid', key),
    groupEpoch: requireString(object, 'groupEpoch', key),
    accountEpoch: requireString(object, 'accountEpoch', key),
  };
}

// Parses a stored group grant; ERR_STORE_CORRUPT when unreadable or naming an unknown action.
export function parseGroupGrantRecord(bytes: Uint8Array, key: string): GroupGrantRecord {
  const object = parseObject(bytes, key);
  const action = requireAction(object, key);
  return {
    rid: requireString(object, 'rid', key),
    gid: requireString(object, 'gid', key),
    action,
    groupEpoch: requireString(object, 'groupEpoch', key),
  };
}

// Parses the stored signing key record; ERR_STORE_CORRUPT when unreadable.
export function parseSigningKeyRecord(bytes: Uint8Array, key: string): SigningKeyRecord {
  const object = parseObject(bytes, key);
  return {
    privateKeyPem: requireString(object, 'privateKeyPem', key),
    createdAt: requireString(object, 'createdAt', key),
  };
}

function hashRid(rid: string): string {
  return createHash('sha256').update(rid, 'utf8').digest('hex');
}

function parseObject(bytes: Uint8Array, key: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw corrupt(key, 'not JSON', error);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw corrupt(key, 'not a JSON object');
  const object = parsed as Record<string, unknown>;
  if (object['format'] !== 1) throw corrupt(key, 'unknown record format');
  return object;
}

function requireString(object: Record<string, unknown>, field: string, key: string): string {
  const value = object[field];
  if (typeof value !== 'string') throw corrupt(key, `\`${field}\` is not a string`);
  return value;
}

function corrupt(key: string, reason: string, cause?: unknown): SecretsAgentError {
  return new SecretsAgentError('ERR_STORE_CORRUPT', `IAM record \`${key}\` is unreadable: ${reason}`, {
    details: { key },
    cause,
  });
}

// The stored `action` of a grant; ERR_STORE_CORRUPT when it is not a known action.
function requireAction(object: Record<string, unknown>, key: string): AccessAction {
  const action = object['action'];
  if (typeof action !== 'string' || !(accessActions as readonly string[]).includes(action))
    throw corrupt(key, '`action` is not a known action');
  return action as AccessAction;
}
