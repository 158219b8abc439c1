// Bounds the password checks (scrypt) that run at once. scrypt runs on libuv's thread pool, which
// file I/O shares (4 threads unless UV_THREADPOOL_SIZE says otherwise): 200 concurrent logins once
// held every thread for tens of seconds and an authenticated PATCH took 40 s instead of 65 ms
// (issue 12.2). So at most `maxRunning` checks run (default 2: half the pool stays free for
// storage), at most `maxQueued` wait, and one peer may hold at most `maxPerPeer` of them (running
// or waiting), so one peer cannot fill the queue. Past a bound: 429 with Retry-After, at once.
import { SecretsAgentError } from '../../core/errors.js';

export interface LoginGateOptions {
  /** Password checks running at once, all peers; default 2. */
  readonly maxRunning?: number;
  /** Password checks waiting for a slot, all peers; default 32. */
  readonly maxQueued?: number;
  /** Password checks running or waiting for one peer; default 4. */
  readonly maxPerPeer?: number;
}

export interface LoginGateTicket {
  /** Resolves once a running slot is ours. */
  ready(): Promise<void>;
  /** Gives the slot (or the place in the queue) back; safe to call twice. */
  release(): void;
}

// FIFO admission of password checks with the bounds above.
export class LoginGate {
  readonly #maxRunning: number;
  readonly #maxQueued: number;
  readonly #maxPerPeer: number;
  readonly #perPeer = new Map<string, number>();
  readonly #waiting: Array<() => void> = [];
  #running = 0;

  constructor(options: LoginGateOptions = {}) {
    this.#maxRunning = options.maxRunning ?? 2;
    this.#maxQueued = options.maxQueued ?? 32;
    this.#maxPerPeer = options.maxPerPeer ?? 4;
  }

  /** Checks running now (for logs and tests). */
  get running(): number {
    return this.#running;
  }

  /** Checks waiting now. */
  get queued(): number {
    return this.#waiting.length;
  }

  // Takes a place for `peer` or throws ERR_AUTH_THROTTLED (429, Retry-After 1) without waiting.
  enter(peer: string): LoginGateTicket {
    const held = this.#perPeer.get(peer) ?? 0;
    if (held >= this.#maxPerPeer) throw busy('too many logins in progress from this address');
    if (this.#running >= this.#maxRunning && this.#waiting.length >= this.#maxQueued)
      throw busy('too many logins in progress');
    this.#perPeer.set(peer, held + 1);
    let state: 'queued' | 'running' | 'released' = 'queued';
    let wake: (() => void) | undefined;
    let ready: Promise<void>;
    if (this.#running < this.#maxRunning) {
      this.#running += 1;
      state = 'running';
      ready = Promise.resolve();
    } else {
      ready = new Promise<void>((resolve) => {
        wake = () => {
          state = 'running';
          resolve();
        };
        this.#waiting.push(wake);
      });
    }
    return {
      ready: () => ready,
      release: () => {
        if (state === 'released') return;
        if (state === 'running') this.#startNext();
        else if (wake !== undefined) this.#waiting.splice(this.#waiting.indexOf(wake), 1);
        state = 'released';
        const left = (this.#perPeer.get(peer) ?? 1) - 1;
        if (left <= 0) this.#perPeer.delete(peer);
        else this.#perPeer.set(peer, left);
      },
    };
  }

  // A running slot was given back: hand it to the oldest waiter, or free it.
  #startNext(): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#running -= 1;
    else next();
  }
}

function busy(reason: string): SecretsAgentError {
  return new SecretsAgentError('ERR_AUTH_THROTTLED', `${reason}: retry in 1 s`, {
    details: { retryAfterSeconds: 1 },
  });
}
