// The daemon's token provider: the connection's own provider behind a wrapper that can swap in a
// provider for a rotated credential file without touching any client, and that notices renewals
// (a new token string) for status and metrics. Renewals never reach the tasks: nothing here
// knows about them.
import type { AuthMethod } from '../auth/auth-method.js';
import type { TokenProvider } from '../auth/token-provider.js';

export interface TokenRenewalInfo {
  readonly renewals: number;
  readonly lastRenewalAt: Date | undefined;
}

export interface RotatingTokens extends TokenProvider {
  /** Replaces the credential; the next getToken() logs in with it. */
  replace(method: AuthMethod): void;
  readonly renewal: TokenRenewalInfo;
}

export interface RotatingTokensOptions {
  /** Called after each new token; `renewal` is false for the first login. */
  onRenewed?: (expiresAt: Date | undefined, renewal: boolean) => void;
}

// Wraps `initial`; `createTokens` builds providers for replacement credentials.
export function createRotatingTokens(
  initial: TokenProvider,
  createTokens: (method: AuthMethod) => TokenProvider,
  options: RotatingTokensOptions = {},
): RotatingTokens {
  let current = initial;
  let lastToken: string | undefined;
  let renewals = 0;
  let lastRenewalAt: Date | undefined;

  const note = (token: string): string => {
    if (token !== lastToken) {
      // The first login is not a renewal.
      const renewal = lastToken !== undefined;
      if (renewal) {
        renewals += 1;
        lastRenewalAt = new Date();
      }
      lastToken = token;
      options.onRenewed?.(current.expiresAt, renewal);
    }
    return token;
  };

  return {
    async getToken() {
      return note(await current.getToken());
    },
    invalidate(rejectedToken, reason) {
      current.invalidate(rejectedToken, reason);
    },
    get expiresAt() {
      return current.expiresAt;
    },
    get renewable() {
      return current.renewable;
    },
    get renewal() {
      return { renewals, lastRenewalAt };
    },
    replace(method) {
      // The old provider is left open: a login in flight on it must finish, not fail as closed.
      // It holds no timers or sockets, only a token that is dropped with it.
      current = createTokens(method);
    },
    close() {
      return current.close();
    },
  };
}
