// Verifies the auth tokens this store issued. The RSA check (jose; ~30 µs of RSA) runs once per token and its
// result (uid, acct, exp) is kept briefly, so a busy client costs one map lookup per request. A
// remembered verdict is used only for the exact text it was made for: the map is keyed by the
// token's last characters (signature bytes; hashing all ~700 characters of a fresh header string
// cost ~1 µs per request) and a hit must equal the whole token. (A SHA-256 key would cost ~2.5 µs
// and protect nothing: the same heap holds the signing key.) Only facts fixed by the signature are
// cached: whether the account still exists and what it may do are looked up fresh on every request.
import type { KeyObject } from 'node:crypto';
import { SecretsAgentError } from '../../core/errors.js';
import { decodeJwt, verifyDecodedJwt, type JwtClaims } from '../../crypto/jwt.js';

export interface VerifiedToken {
  readonly uid: string;
  readonly exp: number;
  /** The account epoch the token was issued for (see UserAccount.epoch). */
  readonly acct: string | undefined;
}

export interface AuthTokenVerifierOptions {
  nowSeconds: () => number;
  clockSkewSeconds: number;
  /** How long a verified token is remembered; default 60 s. */
  cacheTtlSeconds?: number;
  /** Most tokens remembered at once; default 10,000 (then the oldest go first). */
  maxCachedTokens?: number;
}

interface CacheEntry {
  /** The whole token the verdict is for (kept here only: callers get the verdict alone). */
  readonly token: string;
  readonly verified: VerifiedToken;
  readonly cachedUntil: number;
}

/** How many trailing characters key the cache (from the signature, so they differ between tokens). */
const cacheKeyChars = 32;

// Checks our auth tokens, remembering verified ones (see the note at the top).
export class AuthTokenVerifier {
  readonly #options: Required<AuthTokenVerifierOptions>;
  readonly #cache = new Map<string, CacheEntry>();
  #publicKey: KeyObject;

  constructor(publicKey: KeyObject, options: AuthTokenVerifierOptions) {
    this.#publicKey = publicKey;
    this.#options = { cacheTtlSeconds: 60, maxCachedTokens: 10_000, ...options };
  }

  /** A new signing key: every cached verdict was made with the old one. */
  setPublicKey(publicKey: KeyObject): void {
    this.#publicKey = publicKey;
    this.#cache.clear();
  }

  // Rejects with ERR_AUTH_TOKEN_INVALID / ERR_AUTH_TOKEN_EXPIRED. A remembered token settles without
  // touching the signature; a new one goes through jose (crypto/jwt.ts) once.
  async verify(token: string): Promise<VerifiedToken> {
    const now = this.#options.nowSeconds();
    const cached = this.#recalled(token, now)?.verified;
    if (cached !== undefined) {
      if (cached.exp + this.#options.clockSkewSeconds <= now)
        throw new SecretsAgentError('ERR_AUTH_TOKEN_EXPIRED', 'token has expired');
      return cached;
    }
    const publicKey = this.#publicKey;
    const claims = await verifyDecodedJwt(decodeJwt(token), publicKey, {
      nowSeconds: now,
      clockSkewSeconds: this.#options.clockSkewSeconds,
    });
    const verified = toVerified(claims);
    // The key changed while this one was checked: its verdict is for the old key, do not keep it.
    if (publicKey !== this.#publicKey)
      throw new SecretsAgentError('ERR_AUTH_TOKEN_INVALID', 'token signature does not verify');
    this.#remember({ token, verified, cachedUntil: now + this.#options.cacheTtlSeconds });
    return verified;
  }

  /** The remembered verdict for exactly `text`, if there is one and the token has not expired;
   * never verifies. Lets a caller skip parsing text that is a token verified before. */
  recall(text: string): VerifiedToken | undefined {
    const now = this.#options.nowSeconds();
    const cached = this.#recalled(text, now)?.verified;
    return cached !== undefined && cached.exp + this.#options.clockSkewSeconds > now ? cached : undefined;
  }

  #recalled(token: string, now: number): CacheEntry | undefined {
    const cached = this.#cache.get(token.slice(-cacheKeyChars));
    return cached !== undefined && cached.cachedUntil > now && cached.token === token ? cached : undefined;
  }

  // Only verified tokens get here, so a token that fails verification never displaces one that passed.
  #remember(entry: CacheEntry): void {
    const cacheKey = entry.token.slice(-cacheKeyChars);
    this.#cache.delete(cacheKey);
    if (this.#cache.size >= this.#options.maxCachedTokens) {
      const oldest = this.#cache.keys().next();
      if (oldest.done !== true) this.#cache.delete(oldest.value);
    }
    this.#cache.set(cacheKey, entry);
  }
}

function toVerified(claims: JwtClaims): VerifiedToken {
  const acct = claims['acct'];
  return { uid: claims.uid, exp: claims.exp, acct: typeof acct === 'string' ? acct : undefined };
}
