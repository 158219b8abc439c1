// Slows down password and token guessing. Failures are counted per uid and per peer address
// separately; after a few free failures each further attempt for that uid (or from that peer)
// must wait a delay that doubles per failure up to a few seconds, or it gets 429 with
// Retry-After. One uid's or peer's failures never delay another; a success clears both counters.
// Unknown uids are counted like known ones, so the answers never tell whether a uid exists.
import { SecretsAgentError } from '../../core/errors.js';

export interface LoginThrottleOptions {
  nowMs: () => number;
  /** Failures per uid before delays start; default 5. */
  freeFailuresPerUid?: number;
  /** Failures per peer before delays start (many users may share one NAT address); default 20. */
  freeFailuresPerPeer?: number;
  /** First delay; default 250 ms, doubling per further failure. */
  baseDelayMs?: number;
  /** Longest delay; default 5 s. */
  maxDelayMs?: number;
  /** Counters idle this long are forgotten; default 15 min. */
  forgetAfterMs?: number;
  /** Most counters kept (oldest dropped first); default 50,000. */
  maxEntries?: number;
}

interface Counter {
  failures: number;
  lastFailureMs: number;
}

// Per-uid and per-peer failure counters with the delays described above.
export class LoginThrottle {
  readonly #options: Required<LoginThrottleOptions>;
  readonly #counters = new Map<string, Counter>();

  constructor(options: LoginThrottleOptions) {
    this.#options = {
      freeFailuresPerUid: 5,
      freeFailuresPerPeer: 20,
      baseDelayMs: 250,
      maxDelayMs: 5000,
      forgetAfterMs: 15 * 60 * 1000,
      maxEntries: 50_000,
      ...options,
    };
  }

  // Throws ERR_AUTH_THROTTLED (429, Retry-After) while the uid or the peer must still wait.
  assertAllowed(uid: string, peer: string): void {
    const waitMs = Math.max(
      this.#waitMs(`uid:${uid}`, this.#options.freeFailuresPerUid),
      this.#waitMs(`peer:${peer}`, this.#options.freeFailuresPerPeer),
    );
    if (waitMs > 0) {
      const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new SecretsAgentError('ERR_AUTH_THROTTLED', `too many failed logins: retry in ${retryAfterSeconds} s`, {
        details: { retryAfterSeconds },
      });
    }
  }

  recordFailure(uid: string, peer: string): void {
    this.#bump(`uid:${uid}`);
    this.#bump(`peer:${peer}`);
  }

  recordSuccess(uid: string, peer: string): void {
    this.#counters.delete(`uid:${uid}`);
    this.#counters.delete(`peer:${peer}`);
  }

  #waitMs(key: string, freeFailures: number): number {
    const counter = this.#counters.get(key);
    if (counter === undefined || counter.failures < freeFailures) return 0;
    const now = this.#options.nowMs();
    if (now - counter.lastFailureMs > this.#options.forgetAfterMs) {
      this.#counters.delete(key);
      return 0;
    }
    const delayMs = Math.min(
      this.#options.baseDelayMs * 2 ** (counter.failures - freeFailures),
      this.#options.maxDelayMs,
    );
    return Math.max(0, counter.lastFailureMs + delayMs - now);
  }

  #bump(key: string): void {
    const now = this.#options.nowMs();
    const counter = this.#counters.get(key);
    const failures =
      counter !== undefined && now - counter.lastFailureMs <= this.#options.forgetAfterMs ? counter.failures + 1 : 1;
    // Re-insert so Map order stays least-recently-failed first; drop the oldest when full.
    this.#counters.delete(key);
    if (this.#counters.size >= this.#options.maxEntries) {
      const oldest = this.#counters.keys().next();
      if (oldest.done !== true) this.#counters.delete(oldest.value);
    }
    this.#counters.set(key, { failures, lastFailureMs: now });
  }
}
