// The service login token (docs/wire-formats.md#service-login-token): a short-lived RS256 JWT `{uid, exp}` signed with
// the service account's private key, sent once to the login endpoint. node:crypto only (loaded on
// first use: core/lazy-builtins.ts).
import type { KeyObject } from 'node:crypto';
import { SecretsAgentError } from '../core/errors.js';
import { loadCrypto } from '../core/lazy-builtins.js';

/** What DC/OS SDK clients use (`exp = now + 120 s`); the store accepts at most 600 s. */
export const serviceLoginTokenLifetimeSeconds = 120;

export interface ServiceLoginTokenOptions {
  readonly uid: string;
  readonly privateKey: KeyObject;
  /** Seconds since the epoch; default now. */
  readonly nowSeconds?: number;
  readonly lifetimeSeconds?: number;
}

/** Signs `{"uid", "exp"}` with header `{"alg":"RS256","typ":"JWT"}`; returns the compact form. */
export function createServiceLoginToken(options: ServiceLoginTokenOptions): string {
  if (options.privateKey.type !== 'private' || options.privateKey.asymmetricKeyType !== 'rsa') {
    throw new SecretsAgentError('ERR_AUTH_CREDENTIAL_INVALID', 'a service login token needs an RSA private key');
  }
  const nowSeconds = Math.floor(options.nowSeconds ?? Date.now() / 1000);
  const lifetimeSeconds = options.lifetimeSeconds ?? serviceLoginTokenLifetimeSeconds;
  const header = encodeSegment({ alg: 'RS256', typ: 'JWT' });
  const claims = encodeSegment({ uid: options.uid, exp: nowSeconds + lifetimeSeconds });
  const signingInput = `${header}.${claims}`;
  const signature = loadCrypto().sign('sha256', Buffer.from(signingInput, 'ascii'), options.privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}
