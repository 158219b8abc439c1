// The ZooKeeper backend's in-memory mirror of its key tree, so `get` and `list` need no round trip.
// It is fed by watch results, resyncs and the backend's own acknowledged writes, possibly out of
// order (promise continuations of different depth): an update older than what a node holds (by
// mzxid, which grows with every write in the ensemble) is ignored. It emits one change per state a
// listener could observe: put when a key gains a value or its version moves, delete when it loses it.
import type { StorageChange } from './backend.js';
import { childKeyOf, parentKeyOf } from './zk-path.js';

export interface ZkCacheNode {
  /** znode data version; -1 while only known as the parent of something (not loaded yet). */
  version: number;
  mzxid: bigint;
  value: Uint8Array | undefined;
  /** The znode data is not in our format: reads of the key fail, list shows it. */
  corrupt: boolean;
  readonly children: Set<string>;
  /** Data and child watches are set on this znode in the current session. */
  armed: boolean;
}

export interface ZkNodeState {
  readonly version: number;
  readonly mzxid: bigint;
  readonly value: Uint8Array | undefined;
  readonly corrupt: boolean;
}

export class ZkKeyCache {
  readonly #nodes = new Map<string, ZkCacheNode>([['', newNode()]]);
  readonly #emit: (change: StorageChange) => void;

  constructor(emit: (change: StorageChange) => void) {
    this.#emit = emit;
  }

  get(key: string): ZkCacheNode | undefined {
    return this.#nodes.get(key);
  }

  get size(): number {
    return this.#nodes.size;
  }

  // Records what a read or an acknowledged write says `key` holds (creating its parents as
  // placeholders); `armed` marks a read that set watches. Returns false when the update was older.
  apply(key: string, state: ZkNodeState, armed: boolean): boolean {
    const node = this.#ensure(key);
    if (state.mzxid < node.mzxid) return false;
    const hadValue = node.value !== undefined || node.corrupt;
    const before = node.version;
    node.version = state.version;
    node.mzxid = state.mzxid;
    node.value = state.value;
    node.corrupt = state.corrupt;
    if (armed) node.armed = true;
    const hasValue = node.value !== undefined || node.corrupt;
    if (key === '') return true;
    if (hasValue && (!hadValue || before !== node.version)) this.#emit({ key, kind: 'put' });
    else if (!hasValue && hadValue) this.#emit({ key, kind: 'delete' });
    return true;
  }

  // Sets the children of `key` from a getChildren answer: removed ones are dropped with their
  // subtrees, new ones added as placeholders. Returns every child key.
  setChildren(key: string, segments: readonly string[]): string[] {
    const node = this.#ensure(key);
    const next = new Set(segments);
    for (const segment of [...node.children]) {
      if (!next.has(segment)) this.drop(childKeyOf(key, segment));
    }
    return segments.map((segment) => {
      const child = childKeyOf(key, segment);
      this.#ensure(child);
      return child;
    });
  }

  // Forgets `key` and everything below it (the znode is gone), emitting deletes for values.
  drop(key: string): void {
    const node = this.#nodes.get(key);
    if (node === undefined) return;
    for (const segment of node.children) this.drop(childKeyOf(key, segment));
    if (key === '') {
      node.children.clear();
      return;
    }
    this.#nodes.delete(key);
    this.#nodes.get(parentKeyOf(key))?.children.delete(key.slice(key.lastIndexOf('/') + 1));
    if (node.value !== undefined || node.corrupt) this.#emit({ key, kind: 'delete' });
  }

  // Watches are set on `key` again and its data is known to be current.
  markArmed(key: string): void {
    const node = this.#nodes.get(key);
    if (node !== undefined) node.armed = true;
  }

  // A new session has no watches.
  disarmAll(): void {
    for (const node of this.#nodes.values()) node.armed = false;
  }

  // Every key with a value strictly below folder `prefix` ('' = all), sorted by UTF-16 code units.
  list(prefix: string): string[] {
    const start = this.#nodes.get(prefix);
    if (start === undefined) return [];
    const keys: string[] = [];
    const stack = [...start.children].map((segment) => childKeyOf(prefix, segment));
    for (let key = stack.pop(); key !== undefined; key = stack.pop()) {
      const node = this.#nodes.get(key);
      if (node === undefined) continue;
      if (node.value !== undefined || node.corrupt) keys.push(key);
      for (const segment of node.children) stack.push(childKeyOf(key, segment));
    }
    return keys.sort();
  }

  #ensure(key: string): ZkCacheNode {
    let node = this.#nodes.get(key);
    if (node !== undefined) return node;
    node = newNode();
    this.#nodes.set(key, node);
    const parent = this.#ensure(parentKeyOf(key));
    parent.children.add(key.slice(key.lastIndexOf('/') + 1));
    return node;
  }
}

function newNode(): ZkCacheNode {
  return { version: -1, mzxid: 0n, value: undefined, corrupt: false, children: new Set(), armed: false };
}
