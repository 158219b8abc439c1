// `POST /acs/api/v1/auth/login`: checks `{uid, password}` or `{uid, token}` and says only
// "Login failed" when anything is wrong, whichever part it was (docs/wire-formats.md#iam-login).
// Unknown uids cost the same work as known ones (a decoy scrypt hash, a decoy RSA check).
import { createPublicKey, type KeyObject } from 'node:crypto';
import { SecretsAgentError, isSecretsAgentError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { decodeJwt, verifyDecodedJwt } from '../../crypto/jwt.js';
import type { IamMirror } from './iam-mirror.js';
import { createDecoyPasswordHash, maxPasswordBytes, verifyPassword } from './password-hash.js';
import type { LoginThrottle } from './login-throttle.js';

/** A service login token may expire at most this far ahead (docs/decisions.md#iam). */
export const maxServiceTokenLifetimeSeconds = 600;

export type LoginRequest =
  { readonly uid: string; readonly password: string } | { readonly uid: string; readonly token: string };

export interface LoginCheckerOptions {
  mirror: IamMirror;
  throttle: LoginThrottle;
  log: Logger;
  nowSeconds: () => number;
  clockSkewSeconds: number;
  /** Any RSA public key: decoy checks for uids without one. */
  decoyPublicKey: KeyObject;
}

// Narrows a login body: `uid` plus exactly one of `password` and `token`, all strings. Other fields are ignored.
export function parseLoginRequest(body: unknown): LoginRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      'login: expected a JSON object with `uid` and `password` or `token`',
    );
  }
  const { uid, password, token } = body as Record<string, unknown>;
  if (typeof uid !== 'string' || uid === '' || uid.length > 200)
    throw new SecretsAgentError('ERR_INPUT_INVALID', 'login: /uid must be a non-empty string');
  if (password !== undefined && token !== undefined)
    throw new SecretsAgentError('ERR_INPUT_INVALID', 'login: send either /password or /token, not both');
  if (typeof password === 'string') return { uid, password };
  if (typeof token === 'string') return { uid, token };
  throw new SecretsAgentError('ERR_INPUT_INVALID', 'login: /password or /token must be a string');
}

// Checks login credentials against the mirrored accounts, through the throttle.
export class LoginChecker {
  readonly #options: LoginCheckerOptions;
  readonly #decoyHash = createDecoyPasswordHash();
  readonly #publicKeys = new Map<string, { pem: string; key: KeyObject }>();

  constructor(options: LoginCheckerOptions) {
    this.#options = options;
  }

  // Resolves with the uid when the credentials are right; throws ERR_AUTH_LOGIN_FAILED or ERR_AUTH_THROTTLED.
  // The attempt is counted before any check runs (issue 12.2), and a password check waits for a
  // place in the throttle's gate, so parallel bursts neither dodge the count nor fill the thread pool.
  async check(request: LoginRequest, peer: string): Promise<string> {
    const { throttle, log } = this.#options;
    let ok: boolean;
    if ('password' in request) {
      const ticket = throttle.enterPasswordCheck(peer);
      try {
        throttle.beginAttempt(request.uid, peer);
        await ticket.ready();
        log.debug({ peer, running: throttle.gate.running, queued: throttle.gate.queued }, 'password check');
        ok = await this.#checkPassword(request.uid, request.password);
      } finally {
        ticket.release();
      }
    } else {
      throttle.beginAttempt(request.uid, peer);
      ok = await this.#checkServiceToken(request.uid, request.token);
    }
    if (!ok) {
      log.info({ uid: request.uid.slice(0, 100), peer }, 'login failed');
      throw new SecretsAgentError('ERR_AUTH_LOGIN_FAILED', 'Login failed');
    }
    throttle.recordSuccess(request.uid, peer);
    return request.uid;
  }

  async #checkPassword(uid: string, password: string): Promise<boolean> {
    const account = this.#options.mirror.account(uid);
    const stored = account?.kind === 'user' ? account.passwordHash : this.#decoyHash;
    const tooLong = Buffer.byteLength(password, 'utf8') > maxPasswordBytes;
    const matches = await verifyPassword(tooLong ? '' : password, stored);
    return matches && !tooLong && account?.kind === 'user';
  }

  async #checkServiceToken(uid: string, token: string): Promise<boolean> {
    const account = this.#options.mirror.account(uid);
    try {
      const decoded = decodeJwt(token);
      const publicKey =
        account?.kind === 'service' ? this.#publicKeyOf(uid, account.publicKeyPem) : this.#options.decoyPublicKey;
      await verifyDecodedJwt(decoded, publicKey, {
        nowSeconds: this.#options.nowSeconds(),
        clockSkewSeconds: this.#options.clockSkewSeconds,
        maxExpiresInSeconds: maxServiceTokenLifetimeSeconds,
      });
      return account?.kind === 'service' && decoded.claims.uid === uid;
    } catch (error) {
      if (isSecretsAgentError(error, 'ERR_AUTH_TOKEN_INVALID') || isSecretsAgentError(error, 'ERR_AUTH_TOKEN_EXPIRED'))
        return false;
      throw error;
    }
  }

  /** Parsed public keys, re-parsed when the stored PEM changes. */
  #publicKeyOf(uid: string, pem: string): KeyObject {
    const cached = this.#publicKeys.get(uid);
    if (cached !== undefined && cached.pem === pem) return cached.key;
    const key = createPublicKey({ key: pem, format: 'pem' });
    if (this.#publicKeys.size > 10_000) this.#publicKeys.clear();
    this.#publicKeys.set(uid, { pem, key });
    return key;
  }
}
