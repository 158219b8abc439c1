// An in-memory copy of every IAM record, kept current from storage `watch` events, so that
// authenticating and authorizing a request costs map lookups and never a storage read.
// Grants are indexed by uid, then by normalized rid. An account's effective grants (its own plus
// those of the groups it belongs to) are merged once and kept until a grant, membership, group or
// account changes. Writes made through this process are applied at once (a revoke takes effect on
// the next request); changes made by another store instance arrive through `watch`.
import type { Logger } from '../../core/log.js';
import type { AccessAction } from '../http/access.js';
import type { StorageBackend } from '../storage/backend.js';
import {
  accountKey,
  classifyKey,
  groupKey,
  iamPrefix,
  memberKey,
  isGrantOfAccount,
  parseAccountRecord,
  parseAclRecord,
  parseGrantRecord,
  parseGroupGrantRecord,
  parseGroupRecord,
  parseMembershipRecord,
  parseSigningKeyRecord,
  type Account,
  type AclRecord,
  type GrantRecord,
  type GroupGrantRecord,
  type GroupRecord,
  type MembershipRecord,
  type SigningKeyRecord,
} from './iam-records.js';
import { normalizeRid } from './rid.js';

export type GrantIndex = ReadonlyMap<string, ReadonlySet<AccessAction>>;

export interface IamMirrorEvents {
  /** The signing key record changed (another instance created or replaced it). */
  onSigningKeyChange?: (record: SigningKeyRecord | undefined) => void;
}

// The in-memory IAM; open() with the storage, close() to stop watching.
export class IamMirror {
  readonly #storage: StorageBackend;
  readonly #log: Logger;
  readonly #events: IamMirrorEvents;
  readonly #accounts = new Map<string, Account>();
  readonly #aclsByKey = new Map<string, AclRecord>();
  readonly #grantRecords = new Map<string, Map<string, GrantRecord>>();
  readonly #groups = new Map<string, GroupRecord>();
  /** gid -> uid -> membership, as stored (validity is checked when read). */
  readonly #members = new Map<string, Map<string, MembershipRecord>>();
  /** uid -> gids with a stored membership. */
  readonly #groupsOfUid = new Map<string, Set<string>>();
  /** gid -> storage key -> grant, as stored. */
  readonly #groupGrantRecords = new Map<string, Map<string, GroupGrantRecord>>();
  /** uid -> own plus group grants; dropped whenever one of its inputs changes. */
  readonly #effective = new Map<string, GrantIndex>();
  /** Per key, the sequence number of the newest read that was applied (older reads are dropped). */
  readonly #appliedSequence = new Map<string, number>();
  #sequence = 0;
  #unsubscribe: (() => void) | undefined;

  private constructor(storage: StorageBackend, log: Logger, events: IamMirrorEvents) {
    this.#storage = storage;
    this.#log = log;
    this.#events = events;
  }

  // Subscribes to changes first, then reads everything, so nothing written in between is missed.
  static async open(storage: StorageBackend, log: Logger, events: IamMirrorEvents = {}): Promise<IamMirror> {
    const mirror = new IamMirror(storage, log, events);
    mirror.#unsubscribe = storage.watch((change) => {
      if (change.key.startsWith(iamPrefix)) void mirror.refreshKey(change.key);
    });
    try {
      await mirror.reload();
    } catch (error) {
      mirror.close();
      throw error;
    }
    return mirror;
  }

  // Re-reads every IAM record (at start, or when a caller suspects missed events).
  async reload(): Promise<void> {
    const keys = await this.#storage.list(iamPrefix.slice(0, -1));
    const known = new Set(keys);
    await Promise.all(keys.map((key) => this.refreshKey(key)));
    // Keys that vanished while we were away.
    for (const key of this.#heldKeys()) if (!known.has(key)) this.#applyRaw(key, undefined, this.#next());
  }

  // Reads one key and applies it, unless a read started later has already been applied.
  async refreshKey(key: string): Promise<void> {
    const sequence = this.#next();
    try {
      const entry = await this.#storage.get(key);
      this.#applyRaw(key, entry?.value, sequence);
    } catch (error) {
      this.#log.error({ err: error, key }, 'IAM record could not be refreshed');
    }
  }

  /** Applies a record this process just wrote (undefined: deleted). */
  applyWritten(key: string, value: Uint8Array | undefined): void {
    this.#applyRaw(key, value, this.#next());
  }

  account(uid: string): Account | undefined {
    return this.#accounts.get(uid);
  }

  accounts(): Account[] {
    return [...this.#accounts.values()].sort((a, b) => compare(a.uid, b.uid));
  }

  acl(key: string): AclRecord | undefined {
    return this.#aclsByKey.get(key);
  }

  acls(): AclRecord[] {
    return [...this.#aclsByKey.values()].sort((a, b) => compare(a.rid, b.rid));
  }

  /** Actions granted to `uid` itself, by normalized rid. Only grants made for the account that
   * exists now count (not those of a deleted account of the same uid). */
  grantsOf(uid: string): GrantIndex | undefined {
    const records = this.currentGrantRecordsOf(uid);
    if (records.length === 0) return undefined;
    const index = new Map<string, Set<AccessAction>>();
    for (const grant of records) addAction(index, normalizeRid(grant.rid), grant.action);
    return index;
  }

  /** What access decisions use: the grants of `uid` plus those of its groups, by normalized rid.
   * The same object is returned until one of its inputs changes (decide-access.ts caches by it). */
  effectiveGrantsOf(uid: string): GrantIndex | undefined {
    const cached = this.#effective.get(uid);
    if (cached !== undefined) return cached;
    const account = this.#accounts.get(uid);
    if (account === undefined) return undefined;
    const groups = this.groupsOf(uid);
    const own = this.grantsOf(uid);
    if (groups.length === 0) {
      if (own !== undefined) this.#effective.set(uid, own);
      return own;
    }
    const merged = new Map<string, Set<AccessAction>>();
    if (own !== undefined) addGrants(merged, own);
    for (const group of groups) addGrants(merged, this.groupGrantsOf(group.gid));
    this.#effective.set(uid, merged);
    return merged;
  }

  group(gid: string): GroupRecord | undefined {
    return this.#groups.get(gid);
  }

  groups(): GroupRecord[] {
    return [...this.#groups.values()].sort((a, b) => compare(a.gid, b.gid));
  }

  /** Members of `gid` whose membership still names the current group and account. */
  membersOf(gid: string): Account[] {
    const group = this.#groups.get(gid);
    if (group === undefined) return [];
    const members: Account[] = [];
    for (const record of this.#members.get(gid)?.values() ?? []) {
      const account = this.#accounts.get(record.uid);
      if (account !== undefined && this.#isCurrent(record, group, account)) members.push(account);
    }
    return members.sort((a, b) => compare(a.uid, b.uid));
  }

  /** Groups `uid` is currently a member of. */
  groupsOf(uid: string): GroupRecord[] {
    const account = this.#accounts.get(uid);
    const gids = this.#groupsOfUid.get(uid);
    if (account === undefined || gids === undefined) return [];
    const groups: GroupRecord[] = [];
    for (const gid of gids) {
      const group = this.#groups.get(gid);
      const record = this.#members.get(gid)?.get(uid);
      if (group !== undefined && record !== undefined && this.#isCurrent(record, group, account)) groups.push(group);
    }
    return groups.sort((a, b) => compare(a.gid, b.gid));
  }

  /** Storage keys of every membership of `uid`, current or stale. */
  membershipKeysOf(uid: string): string[] {
    return [...(this.#groupsOfUid.get(uid) ?? [])].map((gid) => memberKey(gid, uid));
  }

  /** Actions granted to group `gid` (made for its current epoch), by normalized rid. */
  groupGrantsOf(gid: string): GrantIndex {
    const index = new Map<string, Set<AccessAction>>();
    for (const grant of this.groupGrantRecordsOf(gid)) addAction(index, normalizeRid(grant.rid), grant.action);
    return index;
  }

  /** Grant records of group `gid` made for its current epoch. */
  groupGrantRecordsOf(gid: string): GroupGrantRecord[] {
    const group = this.#groups.get(gid);
    if (group === undefined) return [];
    return [...(this.#groupGrantRecords.get(gid)?.values() ?? [])].filter((grant) => grant.groupEpoch === group.epoch);
  }

  allGroupGrantRecords(): GroupGrantRecord[] {
    return [...this.#groupGrantRecords.values()].flatMap((records) => [...records.values()]);
  }

  /** Every stored grant under `uid`, current or left by a deleted account of the same uid. */
  grantRecordsOf(uid: string): GrantRecord[] {
    return [...(this.#grantRecords.get(uid)?.values() ?? [])];
  }

  /** The grants of `uid` that count: made for the account that exists now. */
  currentGrantRecordsOf(uid: string): GrantRecord[] {
    const account = this.#accounts.get(uid);
    if (account === undefined) return [];
    return this.grantRecordsOf(uid).filter((grant) => isGrantOfAccount(grant, account));
  }

  allGrantRecords(): GrantRecord[] {
    return [...this.#grantRecords.values()].flatMap((records) => [...records.values()]);
  }

  close(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  #isCurrent(record: MembershipRecord, group: GroupRecord, account: Account): boolean {
    return record.groupEpoch === group.epoch && record.accountEpoch === account.epoch;
  }

  *#heldKeys(): Iterable<string> {
    for (const uid of this.#accounts.keys()) yield accountKey(uid);
    yield* this.#aclsByKey.keys();
    for (const records of this.#grantRecords.values()) yield* records.keys();
    for (const gid of this.#groups.keys()) yield groupKey(gid);
    for (const [gid, members] of this.#members) for (const uid of members.keys()) yield memberKey(gid, uid);
    for (const records of this.#groupGrantRecords.values()) yield* records.keys();
  }

  #next(): number {
    this.#sequence += 1;
    return this.#sequence;
  }

  #applyRaw(key: string, value: Uint8Array | undefined, sequence: number): void {
    if ((this.#appliedSequence.get(key) ?? 0) > sequence) return;
    this.#appliedSequence.set(key, sequence);
    const kind = classifyKey(key);
    if (kind === undefined) return;
    try {
      switch (kind.type) {
        case 'account':
          // An account's epoch decides which of its memberships count.
          this.#effective.clear();
          if (value === undefined) this.#accounts.delete(kind.uid);
          else this.#accounts.set(kind.uid, parseAccountRecord(value, key));
          return;
        case 'acl':
          if (value === undefined) this.#aclsByKey.delete(key);
          else this.#aclsByKey.set(key, parseAclRecord(value, key));
          return;
        case 'grant':
          this.#applyGrant(kind.uid, key, value === undefined ? undefined : parseGrantRecord(value, key));
          return;
        case 'group':
          this.#effective.clear();
          if (value === undefined) this.#groups.delete(kind.gid);
          else this.#groups.set(kind.gid, parseGroupRecord(value, key));
          return;
        case 'member':
          this.#applyMembership(
            kind.gid,
            kind.uid,
            value === undefined ? undefined : parseMembershipRecord(value, key),
          );
          return;
        case 'group-grant':
          this.#applyGroupGrant(kind.gid, key, value === undefined ? undefined : parseGroupGrantRecord(value, key));
          return;
        case 'signing-key':
          this.#events.onSigningKeyChange?.(value === undefined ? undefined : parseSigningKeyRecord(value, key));
          return;
      }
    } catch (error) {
      // A corrupt record grants nothing; the rest of the IAM keeps working.
      this.#log.error({ err: error, key }, 'IAM record ignored');
      if (kind.type === 'grant') this.#applyGrant(kind.uid, key, undefined);
      if (kind.type === 'account') this.#accounts.delete(kind.uid);
      if (kind.type === 'group') this.#groups.delete(kind.gid);
      if (kind.type === 'member') this.#applyMembership(kind.gid, kind.uid, undefined);
      if (kind.type === 'group-grant') this.#applyGroupGrant(kind.gid, key, undefined);
    }
  }

  #applyMembership(gid: string, uid: string, record: MembershipRecord | undefined): void {
    this.#effective.delete(uid);
    let members = this.#members.get(gid);
    let gids = this.#groupsOfUid.get(uid);
    if (record === undefined) {
      members?.delete(uid);
      gids?.delete(gid);
      if (members?.size === 0) this.#members.delete(gid);
      if (gids?.size === 0) this.#groupsOfUid.delete(uid);
      return;
    }
    if (members === undefined) {
      members = new Map();
      this.#members.set(gid, members);
    }
    if (gids === undefined) {
      gids = new Set();
      this.#groupsOfUid.set(uid, gids);
    }
    members.set(uid, record);
    gids.add(gid);
  }

  #applyGroupGrant(gid: string, key: string, record: GroupGrantRecord | undefined): void {
    let records = this.#groupGrantRecords.get(gid);
    if (record === undefined) {
      if (records === undefined || !records.delete(key)) return;
      if (records.size === 0) this.#groupGrantRecords.delete(gid);
    } else {
      if (records === undefined) {
        records = new Map();
        this.#groupGrantRecords.set(gid, records);
      }
      records.set(key, record);
    }
    this.#effective.clear();
  }

  #applyGrant(uid: string, key: string, record: GrantRecord | undefined): void {
    this.#effective.delete(uid);
    let records = this.#grantRecords.get(uid);
    if (record === undefined) {
      if (records === undefined || !records.delete(key)) return;
      if (records.size === 0) this.#grantRecords.delete(uid);
      return;
    }
    if (records === undefined) {
      records = new Map();
      this.#grantRecords.set(uid, records);
    }
    records.set(key, record);
  }
}

function addAction(index: Map<string, Set<AccessAction>>, rid: string, action: AccessAction): void {
  let actions = index.get(rid);
  if (actions === undefined) {
    actions = new Set();
    index.set(rid, actions);
  }
  actions.add(action);
}

function addGrants(into: Map<string, Set<AccessAction>>, from: GrantIndex): void {
  for (const [rid, actions] of from) for (const action of actions) addAction(into, rid, action);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
