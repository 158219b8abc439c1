// What `store init --superuser UID --password-file FILE` and `store service-account create` do with the IAM: the
// first superuser, and service accounts with a DC/OS credential (docs/wire-formats.md#service-account-credential).
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { SecretsAgentError } from '../../core/errors.js';
import type { Iam } from './iam.js';
import { superuserRid } from './rid.js';

const generateKeyPairAsync = promisify(generateKeyPair);
export const serviceAccountKeyBits = 2048;

export interface BootstrapIamOptions {
  iam: Iam;
  superuser: { uid: string; password: string; description?: string };
}

/** The JSON a task gets in DCOS_SERVICE_ACCOUNT_CREDENTIAL; write it with mode 0o600. */
export interface ServiceAccountCredential {
  readonly login_endpoint: string;
  readonly private_key: string;
  readonly scheme: 'RS256';
  readonly uid: string;
}

export interface CreateServiceAccountCredentialOptions {
  iam: Iam;
  uid: string;
  /** e.g. `https://store.example:8443/acs/api/v1/auth/login`. */
  loginEndpoint: string;
  description?: string;
}

// Creates the first user and grants it `dcos:superuser` `full`. ERR_IAM_ACCOUNT_EXISTS when the uid exists.
export async function bootstrapIam(options: BootstrapIamOptions): Promise<void> {
  const { iam, superuser } = options;
  await iam.createUser({
    uid: superuser.uid,
    password: superuser.password,
    description: superuser.description ?? 'superuser created by store init',
  });
  await iam.grant({ uid: superuser.uid, rid: superuserRid, action: 'full' }, { createAcl: true });
}

// Generates an RSA-2048 keypair, registers the public key as service account `uid`, and returns
// the credential with the private key. The private key exists nowhere else: losing it means a new keypair.
export async function createServiceAccountCredential(
  options: CreateServiceAccountCredentialOptions,
): Promise<ServiceAccountCredential> {
  const endpoint = parseLoginEndpoint(options.loginEndpoint);
  const keys = await generateServiceAccountKeyPair();
  await options.iam.createServiceAccount({
    uid: options.uid,
    publicKeyPem: keys.publicKeyPem,
    ...(options.description === undefined ? {} : { description: options.description }),
  });
  return buildServiceAccountCredential({
    uid: options.uid,
    privateKeyPem: keys.privateKeyPem,
    loginEndpoint: endpoint,
  });
}

/** A fresh service-account keypair as PEM: SPKI public key, PKCS#8 private key. */
export interface ServiceAccountKeyPair {
  readonly publicKeyPem: string;
  readonly privateKeyPem: string;
}

// Generates the RSA keypair of a new service account (remote `iam service-account create` uses it too).
export async function generateServiceAccountKeyPair(): Promise<ServiceAccountKeyPair> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', { modulusLength: serviceAccountKeyBits });
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

// The credential JSON (docs/wire-formats.md#service-account-credential) for `uid` holding `privateKeyPem`.
export function buildServiceAccountCredential(input: {
  uid: string;
  privateKeyPem: string;
  loginEndpoint: string;
}): ServiceAccountCredential {
  return {
    login_endpoint: parseLoginEndpoint(input.loginEndpoint),
    private_key: input.privateKeyPem,
    scheme: 'RS256',
    uid: input.uid,
  };
}

function parseLoginEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`loginEndpoint\` to be an http(s) URL, got \`${value.slice(0, 200)}\``,
      { cause: error },
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`loginEndpoint\` to be an http(s) URL, got \`${value.slice(0, 200)}\``,
    );
  }
  return value;
}
