// Slows down password and token guessing (issue 12.2; docs/store.md "Login throttling").
//
// Every attempt is counted when it starts, not when its check ends: otherwise a burst of parallel
// attempts all pass the check before the first failure is counted. Two buckets per attempt:
// - (peer, uid): after a few free attempts each further one for that uid from that address must
//   wait a delay that doubles per attempt up to a few seconds, or it gets 429 with Retry-After;
// - peer: the same with more free attempts (many users may share one NAT address), so spraying
//   many uids from one address is slowed too.
// There is no bucket for a uid alone: guessing from one address never locks the account's owner
// out from another (a per-uid lockout would hand any attacker a denial of service). A success
// clears its (peer, uid) bucket and takes its own attempt back from the peer bucket.
// Unknown uids are counted like known ones, so the answers never tell whether a uid exists.
// The password checks themselves are bounded by a LoginGate (login-gate.ts).
import { SecretsAgentError } from '../../core/errors.js';
import { LoginGate, type LoginGateOptions, type LoginGateTicket } from './login-gate.js';

export interface LoginThrottleOptions extends LoginGateOptions {
  nowMs: () => number;
  /** Attempts for one uid from one peer before delays start; default 5. */
  freeFailuresPerUid?: number;
  /** Attempts from one peer (any uid) before delays start; default 20. */
  freeFailuresPerPeer?: number;
  /** First delay; default 250 ms, doubling per further attempt. */
  baseDelayMs?: number;
  /** Longest delay; default 5 s. */
  maxDelayMs?: number;
  /** Counters idle this long are forgotten; default 15 min. */
  forgetAfterMs?: number;
  /** Most counters kept (oldest dropped first); default 50,000. */
  maxEntries?: number;
}

interface Counter {
  attempts: number;
  lastAttemptMs: number;
}

type Settings = Required<Omit<LoginThrottleOptions, keyof LoginGateOptions>>;

// Per-(peer, uid) and per-peer attempt counters with the delays described above.
export class LoginThrottle {
  readonly #options: Settings;
  readonly #counters = new Map<string, Counter>();
  readonly #gate: LoginGate;

  constructor(options: LoginThrottleOptions) {
    const { maxRunning, maxQueued, maxPerPeer, ...rest } = options;
    this.#options = {
      freeFailuresPerUid: 5,
      freeFailuresPerPeer: 20,
      baseDelayMs: 250,
      maxDelayMs: 5000,
      forgetAfterMs: 15 * 60 * 1000,
      maxEntries: 50_000,
      ...rest,
    };
    this.#gate = new LoginGate({
      ...(maxRunning === undefined ? {} : { maxRunning }),
      ...(maxQueued === undefined ? {} : { maxQueued }),
      ...(maxPerPeer === undefined ? {} : { maxPerPeer }),
    });
  }

  /** The bound on password checks running at once (shared by all peers). */
  get gate(): LoginGate {
    return this.#gate;
  }

  // A place for one password check from `peer`; throws ERR_AUTH_THROTTLED when too many are in progress.
  enterPasswordCheck(peer: string): LoginGateTicket {
    return this.#gate.enter(peer);
  }

  // Throws ERR_AUTH_THROTTLED (429, Retry-After) while (peer, uid) or the peer must still wait;
  // else counts the attempt at once.
  beginAttempt(uid: string, peer: string): void {
    this.assertAllowed(uid, peer);
    this.recordFailure(uid, peer);
  }

  // Throws ERR_AUTH_THROTTLED while (peer, uid) or the peer must still wait; counts nothing.
  assertAllowed(uid: string, peer: string): void {
    const waitMs = Math.max(
      this.#waitMs(peerUidKey(peer, uid), this.#options.freeFailuresPerUid),
      this.#waitMs(peerKey(peer), this.#options.freeFailuresPerPeer),
    );
    if (waitMs > 0) {
      const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new SecretsAgentError('ERR_AUTH_THROTTLED', `too many failed logins: retry in ${retryAfterSeconds} s`, {
        details: { retryAfterSeconds },
      });
    }
  }

  // Counts one attempt (one that failed, or one that is starting) against (peer, uid) and the peer.
  recordFailure(uid: string, peer: string): void {
    this.#bump(peerUidKey(peer, uid));
    this.#bump(peerKey(peer));
  }

  // The attempt begun for (peer, uid) succeeded: clear that bucket, take the attempt back from the peer's.
  recordSuccess(uid: string, peer: string): void {
    this.#counters.delete(peerUidKey(peer, uid));
    const counter = this.#counters.get(peerKey(peer));
    if (counter === undefined) return;
    if (counter.attempts <= 1) this.#counters.delete(peerKey(peer));
    else counter.attempts -= 1;
  }

  #waitMs(key: string, freeAttempts: number): number {
    const counter = this.#counters.get(key);
    if (counter === undefined || counter.attempts < freeAttempts) return 0;
    const now = this.#options.nowMs();
    if (now - counter.lastAttemptMs > this.#options.forgetAfterMs) {
      this.#counters.delete(key);
      return 0;
    }
    const delayMs = Math.min(
      this.#options.baseDelayMs * 2 ** (counter.attempts - freeAttempts),
      this.#options.maxDelayMs,
    );
    return Math.max(0, counter.lastAttemptMs + delayMs - now);
  }

  #bump(key: string): void {
    const now = this.#options.nowMs();
    const counter = this.#counters.get(key);
    const attempts =
      counter !== undefined && now - counter.lastAttemptMs <= this.#options.forgetAfterMs ? counter.attempts + 1 : 1;
    // Re-insert so Map order stays least-recently-used first; drop the oldest when full.
    this.#counters.delete(key);
    if (this.#counters.size >= this.#options.maxEntries) {
      const oldest = this.#counters.keys().next();
      if (oldest.done !== true) this.#counters.delete(oldest.value);
    }
    this.#counters.set(key, { attempts, lastAttemptMs: now });
  }
}

// Peers are addresses (no newline), so the first newline ends the peer: the key is unambiguous.
function peerUidKey(peer: string, uid: string): string {
  return `peer-uid:${peer}\n${uid}`;
}

function peerKey(peer: string): string {
  return `peer:${peer}`;
}
