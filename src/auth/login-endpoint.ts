// Where a login goes. Given an explicit store URL (--url / DCOS_CLUSTER_URL), the login goes to
// `<url>/acs/api/v1/auth/login`, not to the credential's `login_endpoint`: the credential's host
// is usually `leader.mesos`/`master.mesos`, which only resolves inside a DC/OS cluster, and the
// URL the operator chose is the host the CA bundle and trust were configured for; sending the
// signed login token to a second host would widen that trust for no gain. Without a URL, the
// credential's endpoint is all there is.
import { SecretsAgentError } from '../core/errors.js';
import type { ServiceAccountCredential } from './credential.js';

/** The IAM login path below the store URL. */
export const loginPath = '/acs/api/v1/auth/login';

export interface LoginEndpointInputs {
  /** The store URL when the user gave one explicitly. */
  readonly url?: string | undefined;
  readonly credential?: ServiceAccountCredential | undefined;
}

/** The full login URL; ERR_USAGE when neither a URL nor a credential says where to go. */
export function chooseLoginEndpoint(inputs: LoginEndpointInputs): string {
  if (inputs.url !== undefined && inputs.url !== '') return `${inputs.url.replace(/\/+$/, '')}${loginPath}`;
  if (inputs.credential !== undefined) return inputs.credential.login_endpoint;
  throw new SecretsAgentError('ERR_USAGE', 'no store URL: pass --url or set DCOS_CLUSTER_URL');
}

/**
 * The store URL implied by a credential's login endpoint (`https://leader.mesos/acs/api/v1/auth/login`
 * → `https://leader.mesos`), for when no URL was given.
 */
export function storeUrlFromCredential(credential: ServiceAccountCredential): string {
  const url = new URL(credential.login_endpoint);
  const prefix = url.pathname.endsWith(loginPath) ? url.pathname.slice(0, -loginPath.length) : '';
  return `${url.origin}${prefix}`;
}
