import { timingSafeEqual, createHash } from 'node:crypto';
import { SecretsAgentError } from '../../core/errors.js';
import type { AccessControl, Principal } from './access.js';
import { readPresentedToken } from './presented-token.js';

const bootstrapPrincipal: Principal = Object.freeze({ uid: 'bootstrap', superuser: true });

// Access control by one shared bootstrap token (from `--token-file`): whoever presents it is superuser.
// Compared in constant time over SHA-256 digests so the length of the token does not leak either.
export function createBootstrapAccess(token: string): AccessControl {
  const expected = digest(token);
  return {
    async authenticate(headers) {
      const presented = readPresentedToken(headers);
      if (presented === undefined)
        throw new SecretsAgentError(
          'ERR_AUTH_REQUIRED',
          'authentication required: send `Authorization: token=<token>`',
        );
      if (!timingSafeEqual(digest(presented), expected))
        throw new SecretsAgentError('ERR_AUTH_TOKEN_INVALID', 'invalid authentication token');
      return bootstrapPrincipal;
    },
    async authorize() {
      // The bootstrap token is superuser: nothing to check.
    },
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
