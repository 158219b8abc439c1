// An in-memory copy of every IAM record, kept current from storage `watch` events, so that
// authenticating and authorizing a request costs map lookups and never a storage read.
// Grants are indexed by uid, then by normalized rid. Writes made through this process are applied
// at once (a revoke takes effect on the next request); changes made by another store instance
// arrive through `watch`.
import type { Logger } from '../../core/log.js';
import type { AccessAction } from '../http/access.js';
import type { StorageBackend } from '../storage/backend.js';
import {
  classifyKey,
  iamPrefix,
  parseAccountRecord,
  parseAclRecord,
  parseGrantRecord,
  parseSigningKeyRecord,
  type Account,
  type AclRecord,
  type GrantRecord,
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
  readonly #grantIndex = new Map<string, Map<string, Set<AccessAction>>>();
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
    for (const uid of [...this.#accounts.keys()])
      if (!known.has(`iam/accounts/${uid}`)) this.#applyRaw(`iam/accounts/${uid}`, undefined, this.#next());
    for (const key of [...this.#aclsByKey.keys()]) if (!known.has(key)) this.#applyRaw(key, undefined, this.#next());
    for (const records of [...this.#grantRecords.values()]) {
      for (const key of [...records.keys()]) if (!known.has(key)) this.#applyRaw(key, undefined, this.#next());
    }
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
    return [...this.#accounts.values()].sort((a, b) => (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
  }

  acl(key: string): AclRecord | undefined {
    return this.#aclsByKey.get(key);
  }

  acls(): AclRecord[] {
    return [...this.#aclsByKey.values()].sort((a, b) => (a.rid < b.rid ? -1 : a.rid > b.rid ? 1 : 0));
  }

  /** Granted actions of `uid` by normalized rid. Only accounts that exist have grants that count. */
  grantsOf(uid: string): GrantIndex | undefined {
    if (!this.#accounts.has(uid)) return undefined;
    return this.#grantIndex.get(uid);
  }

  grantRecordsOf(uid: string): GrantRecord[] {
    return [...(this.#grantRecords.get(uid)?.values() ?? [])];
  }

  allGrantRecords(): GrantRecord[] {
    return [...this.#grantRecords.values()].flatMap((records) => [...records.values()]);
  }

  close(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
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
        case 'signing-key':
          this.#events.onSigningKeyChange?.(value === undefined ? undefined : parseSigningKeyRecord(value, key));
          return;
      }
    } catch (error) {
      // A corrupt record grants nothing; the rest of the IAM keeps working.
      this.#log.error({ err: error, key }, 'IAM record ignored');
      if (kind.type === 'grant') this.#applyGrant(kind.uid, key, undefined);
      if (kind.type === 'account') this.#accounts.delete(kind.uid);
    }
  }

  #applyGrant(uid: string, key: string, record: GrantRecord | undefined): void {
    let records = this.#grantRecords.get(uid);
    if (record === undefined) {
      if (records === undefined || !records.delete(key)) return;
    } else {
      if (records === undefined) {
        records = new Map();
        this.#grantRecords.set(uid, records);
      }
      records.set(key, record);
    }
    // Rebuild this uid's index from its records: simple, and grants per uid are few.
    const index = new Map<string, Set<AccessAction>>();
    for (const grant of records.values()) {
      const rid = normalizeRid(grant.rid);
      let actions = index.get(rid);
      if (actions === undefined) {
        actions = new Set();
        index.set(rid, actions);
      }
      actions.add(grant.action);
    }
    if (records.size === 0) {
      this.#grantRecords.delete(uid);
      this.#grantIndex.delete(uid);
    } else {
      this.#grantIndex.set(uid, index);
    }
  }
}
