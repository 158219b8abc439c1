// `store serve --token-file`: the IAM decides, and one static bootstrap token (compared in constant
// time by createBootstrapAccess) stays usable as a break-glass superuser, e.g. to recover from a
// lost superuser password. Either one grants; a token that is neither gets the IAM's refusal.
import { isSecretsAgentError } from '../../core/errors.js';
import type { AccessControl, Principal } from '../http/access.js';
import { createBootstrapAccess } from '../http/bootstrap-access.js';

// Combines the IAM's access control with a bootstrap token.
export function createBreakGlassAccess(token: string, iamAccess: AccessControl): AccessControl {
  const bootstrap = createBootstrapAccess(token);
  // The bootstrap principal by identity: an IAM account that happens to be named `bootstrap` is not it.
  const bootstrapPrincipals = new WeakSet<Principal>();
  return {
    async authenticate(headers) {
      try {
        const principal = await bootstrap.authenticate(headers);
        bootstrapPrincipals.add(principal);
        return principal;
      } catch (error) {
        if (!isSecretsAgentError(error, 'ERR_AUTH_TOKEN_INVALID')) throw error;
      }
      return iamAccess.authenticate(headers);
    },
    async authorize(principal, rid, action) {
      if (bootstrapPrincipals.has(principal)) return;
      await iamAccess.authorize(principal, rid, action);
    },
    listGrants: (principal) => (bootstrapPrincipals.has(principal) ? [] : (iamAccess.listGrants?.(principal) ?? [])),
  };
}
