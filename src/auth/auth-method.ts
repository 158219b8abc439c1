// Which credential the agent authenticates with, picked in the order of docs/decisions.md#agent:
// 1. --credential-file, else DCOS_SERVICE_ACCOUNT_CREDENTIAL (inline JSON or a path);
// 2. --token-file; 3. username + password (flags, else DCOS_SECRETS_USERNAME / DCOS_SECRETS_PASSWORD).
// The first one present wins; the others are not read, so a stray variable cannot break a login.
import { SecretsAgentError } from '../core/errors.js';
import {
  loadServiceAccountCredential,
  type CredentialCheckOptions,
  type ServiceAccountCredential,
} from './credential.js';

/** One resolved way to authenticate: a service-account credential, a password, a token file or a token. */
export type AuthMethod =
  | { readonly kind: 'service-account'; readonly credential: ServiceAccountCredential; readonly source: string }
  | { readonly kind: 'password'; readonly uid: string; readonly password: string; readonly source: string }
  | { readonly kind: 'token-file'; readonly file: string }
  | { readonly kind: 'token'; readonly token: string; readonly source: string };

/** The flags and environment `resolveAuthMethod` chooses from. */
export interface AuthInputs {
  /** `--credential-file`: a path, or inline JSON. */
  readonly credentialFile?: string | undefined;
  readonly tokenFile?: string | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** Where DCOS_SERVICE_ACCOUNT_CREDENTIAL / DCOS_SECRETS_USERNAME / DCOS_SECRETS_PASSWORD are read. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A service-account key is read as a key at the first login, not now (see CredentialCheckOptions). */
  readonly deferKeyCheck?: boolean;
}

/** The environment variable DC/OS tasks receive their service-account credential in. */
export const credentialEnvVar = 'DCOS_SERVICE_ACCOUNT_CREDENTIAL';
/** The environment variable Portworx reads the login uid from. */
export const usernameEnvVar = 'DCOS_SECRETS_USERNAME';
/** The environment variable Portworx reads the login password from. */
export const passwordEnvVar = 'DCOS_SECRETS_PASSWORD';

/**
 * The first credential present in the order of docs/decisions.md#agent, or undefined when there is none.
 *
 * @example
 * ```ts
 * import { createSecretsClient, resolveAuthMethod } from 'secrets-agent';
 *
 * const auth = resolveAuthMethod({ env: process.env }); // DCOS_SERVICE_ACCOUNT_CREDENTIAL, or username + password
 * if (auth === undefined) throw new Error('no credential configured');
 * const client = createSecretsClient({ url: 'https://master.mesos', auth });
 * ```
 */
export function resolveAuthMethod(inputs: AuthInputs): AuthMethod | undefined {
  const env = inputs.env ?? {};
  const check: CredentialCheckOptions = { deferKeyCheck: inputs.deferKeyCheck === true };
  if (present(inputs.credentialFile)) {
    return {
      kind: 'service-account',
      credential: loadServiceAccountCredential(inputs.credentialFile, '--credential-file', check),
      source: '--credential-file',
    };
  }
  const fromEnv = env[credentialEnvVar];
  if (present(fromEnv)) {
    return {
      kind: 'service-account',
      credential: loadServiceAccountCredential(fromEnv, credentialEnvVar, check),
      source: credentialEnvVar,
    };
  }
  if (present(inputs.tokenFile)) return { kind: 'token-file', file: inputs.tokenFile };
  const username = present(inputs.username) ? inputs.username : env[usernameEnvVar];
  const password = inputs.password !== undefined ? inputs.password : env[passwordEnvVar];
  const userSource = present(inputs.username) ? '--username' : usernameEnvVar;
  if (present(username) || (password !== undefined && password !== '')) {
    // Portworx says the same: "Username and password are required to authenticate".
    if (!present(username))
      throw new SecretsAgentError(
        'ERR_AUTH_CREDENTIAL_INVALID',
        `a password is set but no username: set ${usernameEnvVar} or --username`,
      );
    if (password === undefined || password === '') {
      throw new SecretsAgentError(
        'ERR_AUTH_CREDENTIAL_INVALID',
        `username \`${username}\` (from ${userSource}) has no password: set ${passwordEnvVar}`,
      );
    }
    return { kind: 'password', uid: username, password, source: userSource };
  }
  return undefined;
}

function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}
