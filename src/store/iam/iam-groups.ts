// Groups of the IAM: the records behind `/acs/api/v1/groups/...`, memberships and grants to groups.
// Every write goes to storage first and is then applied to the mirror, so the next request on this
// instance already sees it and other instances see it through `watch`. Decisions read only the mirror.
import { randomBytes } from 'node:crypto';
import { SecretsAgentError, isSecretsAgentError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { AccessAction } from '../http/access.js';
import type { StorageBackend } from '../storage/backend.js';
import type { IamMirror } from './iam-mirror.js';
import {
  accountKey,
  assertGid,
  assertUid,
  encodeRecord,
  groupGrantKey,
  groupGrantsFolderOf,
  groupKey,
  memberKey,
  membersFolderOf,
  parseAccountRecord,
  parseDescription,
  parseGroupRecord,
  parseMembershipRecord,
  type Account,
  type GroupRecord,
  type MembershipRecord,
} from './iam-records.js';
import { assertRid, normalizeRid } from './rid.js';

export interface GroupGrantInput {
  readonly gid: string;
  readonly rid: string;
  readonly action: AccessAction;
}

export interface GroupOperations {
  createGroup(gid: string, description?: string): Promise<void>;
  getGroup(gid: string): GroupRecord | undefined;
  listGroups(): GroupRecord[];
  /** Replaces the description (`PATCH /groups/{gid}`). */
  updateGroup(gid: string, description: string): Promise<void>;
  /** Removes the group, its memberships and its grants; its members lose its grants at once. */
  deleteGroup(gid: string): Promise<void>;
  addMember(gid: string, uid: string): Promise<void>;
  removeMember(gid: string, uid: string): Promise<void>;
  /** Current members of an existing group (ERR_IAM_GROUP_NOT_FOUND otherwise). */
  listMembers(gid: string): Account[];
  /** Groups an existing account belongs to (ERR_IAM_ACCOUNT_NOT_FOUND otherwise). */
  listGroupsOf(uid: string): GroupRecord[];
  /** Grants `action` on `rid` to the group; `createAcl` (default false) creates a missing ACL instead of failing. */
  grantGroup(input: GroupGrantInput, options?: { createAcl?: boolean }): Promise<void>;
  revokeGroup(input: GroupGrantInput): Promise<void>;
  /** Actions granted to group `gid` on exactly this rid. */
  groupGrantedActions(gid: string, rid: string): AccessAction[];
}

export interface GroupOperationsOptions {
  readonly storage: StorageBackend;
  readonly mirror: IamMirror;
  readonly log: Logger;
  readonly isoNow: () => string;
  /** Makes sure the ACL of `rid` exists: creates it or throws ERR_IAM_ACL_NOT_FOUND. */
  readonly ensureAcl: (rid: string, create: boolean) => Promise<void>;
}

// A conditional write lost to a concurrent one is retried this often before giving up.
const maxUpdateAttempts = 5;

// The group operations over `storage`, reading through `mirror`.
export function createGroupOperations(options: GroupOperationsOptions): GroupOperations {
  const { storage, mirror, log, isoNow } = options;

  const write = async (key: string, value: Uint8Array | undefined): Promise<boolean> => {
    const existed = value === undefined ? await storage.delete(key) : (await storage.put(key, value), true);
    mirror.applyWritten(key, value);
    return existed;
  };

  // The mirror first; a fresh storage read when it does not know the group yet, so that a group
  // created through another instance a moment ago can be used here at once.
  const requireGroup = async (gid: string): Promise<GroupRecord> => {
    assertGid(gid);
    const known = mirror.group(gid);
    if (known !== undefined) return known;
    const key = groupKey(gid);
    const entry = await storage.get(key, { fresh: true });
    if (entry === undefined) throw groupNotFound(gid);
    mirror.applyWritten(key, entry.value);
    return parseGroupRecord(entry.value, key);
  };

  const requireAccount = async (uid: string): Promise<Account> => {
    assertUid(uid);
    const known = mirror.account(uid);
    if (known !== undefined) return known;
    const key = accountKey(uid);
    const entry = await storage.get(key, { fresh: true });
    if (entry === undefined) throw accountNotFound(uid);
    mirror.applyWritten(key, entry.value);
    return parseAccountRecord(entry.value, key);
  };

  const parseGrant = (input: GroupGrantInput): GroupGrantInput => {
    assertGid(input.gid);
    assertRid(input.rid);
    return { gid: input.gid, rid: normalizeRid(input.rid), action: input.action };
  };

  return {
    async createGroup(gid, rawDescription) {
      assertGid(gid);
      const description = parseDescription(rawDescription, '/description');
      const key = groupKey(gid);
      const value = encodeRecord({ gid, epoch: newEpoch(), description, createdAt: isoNow() });
      try {
        await storage.create(key, value);
      } catch (error) {
        if (isSecretsAgentError(error, 'ERR_STORAGE_CONFLICT')) throw groupExists(gid);
        throw error;
      }
      mirror.applyWritten(key, value);
      log.info({ gid }, 'IAM group created');
    },

    getGroup(gid) {
      assertGid(gid);
      return mirror.group(gid);
    },
    listGroups: () => mirror.groups(),

    async updateGroup(gid, rawDescription) {
      assertGid(gid);
      const description = parseDescription(rawDescription, '/description');
      const key = groupKey(gid);
      for (let attempt = 1; ; attempt += 1) {
        const entry = await storage.get(key, { fresh: true });
        if (entry === undefined) throw groupNotFound(gid);
        const value = encodeRecord({ ...parseGroupRecord(entry.value, key), description });
        try {
          await storage.put(key, value, { expectedVersion: entry.version });
        } catch (error) {
          if (isSecretsAgentError(error, 'ERR_STORAGE_CONFLICT') && attempt < maxUpdateAttempts) continue;
          throw error;
        }
        mirror.applyWritten(key, value);
        log.info({ gid }, 'IAM group updated');
        return;
      }
    },

    async deleteGroup(gid) {
      assertGid(gid);
      const key = groupKey(gid);
      // The group first: its grants stop counting for every member from the next request on.
      // Memberships and grants left by a crash in between name the deleted group's epoch and never
      // count for a group created later under the same gid.
      if (!(await write(key, undefined))) throw groupNotFound(gid);
      for (const folder of [membersFolderOf(gid), groupGrantsFolderOf(gid)]) {
        for (const child of await storage.list(folder)) await write(child, undefined);
      }
      log.info({ gid }, 'IAM group deleted');
    },

    async addMember(gid, uid) {
      const group = await requireGroup(gid);
      const account = await requireAccount(uid);
      const key = memberKey(gid, uid);
      const record: MembershipRecord = { gid, uid, groupEpoch: group.epoch, accountEpoch: account.epoch };
      const value = encodeRecord(record);
      try {
        await storage.create(key, value);
      } catch (error) {
        if (!isSecretsAgentError(error, 'ERR_STORAGE_CONFLICT')) throw error;
        // Taken: by a current membership (a duplicate), or by one left over from a deleted group or account.
        const entry = await storage.get(key, { fresh: true });
        if (entry !== undefined) {
          const existing = readMembership(entry.value, key);
          if (existing?.groupEpoch === group.epoch && existing.accountEpoch === account.epoch) {
            mirror.applyWritten(key, entry.value);
            throw memberExists(gid, uid);
          }
        }
        await storage.put(key, value, entry === undefined ? {} : { expectedVersion: entry.version });
      }
      mirror.applyWritten(key, value);
      log.info({ gid, uid }, 'IAM group member added');
    },

    async removeMember(gid, uid) {
      await requireGroup(gid);
      await requireAccount(uid);
      if (!(await write(memberKey(gid, uid), undefined))) throw memberNotFound(gid, uid);
      log.info({ gid, uid }, 'IAM group member removed');
    },

    listMembers(gid) {
      assertGid(gid);
      if (mirror.group(gid) === undefined) throw groupNotFound(gid);
      return mirror.membersOf(gid);
    },

    listGroupsOf(uid) {
      assertUid(uid);
      if (mirror.account(uid) === undefined) throw accountNotFound(uid);
      return mirror.groupsOf(uid);
    },

    async grantGroup(input, grantOptions = {}) {
      const { gid, rid, action } = parseGrant(input);
      const group = await requireGroup(gid);
      await options.ensureAcl(rid, grantOptions.createAcl === true);
      await write(groupGrantKey(gid, rid, action), encodeRecord({ rid, gid, action, groupEpoch: group.epoch }));
      log.info({ gid, rid, action }, 'IAM permission granted to group');
    },

    async revokeGroup(input) {
      const { gid, rid, action } = parseGrant(input);
      await requireGroup(gid);
      if (!(await write(groupGrantKey(gid, rid, action), undefined))) {
        throw new SecretsAgentError('ERR_IAM_ACL_NOT_FOUND', `group \`${gid}\` has no grant \`${rid}\` \`${action}\``, {
          details: { rid, gid, action },
        });
      }
      log.info({ gid, rid, action }, 'IAM permission revoked from group');
    },

    groupGrantedActions(gid, rawRid) {
      assertGid(gid);
      return [...(mirror.groupGrantsOf(gid).get(normalizeRid(rawRid)) ?? [])].sort();
    },
  };
}

// A stored membership, or undefined when it is unreadable (a corrupt record counts as stale and is replaced).
function readMembership(bytes: Uint8Array, key: string): MembershipRecord | undefined {
  try {
    return parseMembershipRecord(bytes, key);
  } catch {
    return undefined;
  }
}

function newEpoch(): string {
  return randomBytes(12).toString('base64url');
}

export function groupNotFound(gid: string): SecretsAgentError {
  return new SecretsAgentError('ERR_IAM_GROUP_NOT_FOUND', `Group \`${gid}\` not known.`, { details: { gid } });
}

function groupExists(gid: string): SecretsAgentError {
  return new SecretsAgentError('ERR_IAM_GROUP_EXISTS', `group \`${gid}\` already exists`, { details: { gid } });
}

function accountNotFound(uid: string): SecretsAgentError {
  return new SecretsAgentError('ERR_IAM_ACCOUNT_NOT_FOUND', `account \`${uid}\` does not exist`, { details: { uid } });
}

function memberExists(gid: string, uid: string): SecretsAgentError {
  return new SecretsAgentError('ERR_IAM_MEMBER_EXISTS', `\`${uid}\` is already a member of group \`${gid}\``, {
    details: { gid, uid },
  });
}

function memberNotFound(gid: string, uid: string): SecretsAgentError {
  return new SecretsAgentError('ERR_IAM_MEMBER_NOT_FOUND', `\`${uid}\` is not a member of group \`${gid}\``, {
    details: { gid, uid },
  });
}
