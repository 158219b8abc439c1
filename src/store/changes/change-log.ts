// The retained window of the change feed: the last `capacity` changed secret paths, numbered by a
// counter that grows by one per change. A ring buffer, so memory stays bounded however many
// writes happen; a reader that fell behind the window is told so (and must re-read everything).

export const defaultChangeLogCapacity = 10_000;

export class ChangeLog {
  readonly #capacity: number;
  readonly #paths: string[];
  #counter = 0;

  constructor(capacity: number = defaultChangeLogCapacity) {
    this.#capacity = capacity;
    this.#paths = new Array<string>(capacity);
  }

  /** The number of the newest change (0 before the first). */
  get counter(): number {
    return this.#counter;
  }

  record(path: string): number {
    this.#counter += 1;
    this.#paths[this.#counter % this.#capacity] = path;
    return this.#counter;
  }

  // The distinct paths changed after change number `after`, up to the current counter; undefined
  // when some of them already left the window (or `after` is from the future: not ours).
  since(after: number): string[] | undefined {
    if (after > this.#counter || after < this.#counter - this.#capacity) return undefined;
    const seen = new Set<string>();
    for (let number = after + 1; number <= this.#counter; number += 1)
      seen.add(this.#paths[number % this.#capacity] as string);
    return [...seen];
  }
}
