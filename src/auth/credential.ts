// The DC/OS service-account credential (docs/wire-formats.md#service-account-credential): `{"login_endpoint",
// "private_key", "scheme": "RS256", "uid"}`, given inline (the DCOS_SERVICE_ACCOUNT_CREDENTIAL env var holds the JSON
// itself) or as a file path. Errors name the field and the source, never the key.
import type { KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { SecretsAgentError } from '../core/errors.js';
import { loadCrypto } from '../core/lazy-builtins.js';

/** A DC/OS service-account credential, as `dcos security secrets create-sa-secret` stores it. */
export interface ServiceAccountCredential {
  readonly login_endpoint: string;
  readonly private_key: string;
  readonly scheme: 'RS256';
  readonly uid: string;
}

/** Credential files are small; anything bigger is not one. */
export const maxCredentialBytes = 64 * 1024;

export interface CredentialCheckOptions {
  /** Check only that `private_key` looks like a PEM private key; the token provider reads it as
   * one (the same errors) when it first logs in. For `run` with a cached token, which then never
   * loads node:crypto (core/lazy-builtins.ts). Default false: the key is read now. */
  readonly deferKeyCheck?: boolean;
}

/**
 * Reads a credential from inline JSON (starts with `{`) or from the file it names.
 * `source` says where it came from for messages, e.g. `--credential-file` or `DCOS_SERVICE_ACCOUNT_CREDENTIAL`.
 */
export function loadServiceAccountCredential(
  valueOrPath: string,
  source: string,
  options: CredentialCheckOptions = {},
): ServiceAccountCredential {
  if (typeof valueOrPath !== 'string' || valueOrPath.trim() === '') throw invalid(source, '', 'is empty');
  const trimmed = valueOrPath.trim();
  if (trimmed.startsWith('{')) return parseServiceAccountCredential(parseJson(trimmed, source), source, options);
  const where = `${source} ${valueOrPath}`;
  let text: string;
  try {
    const { size } = statSync(valueOrPath);
    if (size > maxCredentialBytes) throw invalid(where, '', `is ${size} bytes, larger than ${maxCredentialBytes}`);
    text = readFileSync(valueOrPath, 'utf8');
  } catch (error) {
    if (error instanceof SecretsAgentError) throw error;
    throw new SecretsAgentError(
      'ERR_AUTH_CREDENTIAL_INVALID',
      `credential from ${where}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        details: { source },
        cause: error,
      },
    );
  }
  return parseServiceAccountCredential(parseJson(text, where), where, options);
}

/** Narrows an untrusted value to a credential; ERR_AUTH_CREDENTIAL_INVALID naming the JSON pointer. */
export function parseServiceAccountCredential(
  value: unknown,
  source: string,
  options: CredentialCheckOptions = {},
): ServiceAccountCredential {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(source, '', 'must be a JSON object with login_endpoint, private_key, scheme and uid');
  const { login_endpoint: loginEndpoint, private_key: privateKey, scheme, uid } = value as Record<string, unknown>;
  if (scheme === undefined) throw invalid(source, '/scheme', 'is missing (expected "RS256")');
  if (scheme !== 'RS256') throw invalid(source, '/scheme', `must be "RS256", got ${describeNonSecret(scheme)}`);
  if (typeof uid !== 'string' || uid.trim() === '')
    throw invalid(source, '/uid', uid === undefined ? 'is missing' : 'must be a non-empty string');
  if (typeof loginEndpoint !== 'string' || loginEndpoint === '')
    throw invalid(source, '/login_endpoint', loginEndpoint === undefined ? 'is missing' : 'must be a non-empty string');
  assertHttpUrl(loginEndpoint, source);
  if (typeof privateKey !== 'string' || privateKey === '')
    throw invalid(
      source,
      '/private_key',
      privateKey === undefined ? 'is missing' : 'must be a non-empty string (a PEM RSA private key)',
    );
  if (options.deferKeyCheck === true) assertPemPrivateKey(privateKey, source);
  else parsePrivateKey(privateKey, source);
  return { login_endpoint: loginEndpoint, private_key: privateKey, scheme: 'RS256', uid };
}

// The credential's RSA private key as a KeyObject; the key text never enters the message.
export function parsePrivateKey(pem: string, source: string): KeyObject {
  assertPemPrivateKey(pem, source);
  let key: KeyObject;
  try {
    key = loadCrypto().createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new SecretsAgentError(
      'ERR_AUTH_CREDENTIAL_INVALID',
      `credential from ${source}: /private_key cannot be read as a private key (encrypted keys are not supported)`,
      {
        details: { source, pointer: '/private_key' },
        cause: new Error((error as NodeJS.ErrnoException).code ?? 'key parse error'),
      },
    );
  }
  if (key.asymmetricKeyType !== 'rsa')
    throw invalid(source, '/private_key', `must be an RSA key (RS256), got ${key.asymmetricKeyType ?? 'unknown'}`);
  return key;
}

function assertPemPrivateKey(pem: string, source: string): void {
  if (!/-----BEGIN (RSA |ENCRYPTED )?PRIVATE KEY-----/.test(pem))
    throw invalid(source, '/private_key', 'is not a PEM private key (`-----BEGIN PRIVATE KEY-----`)');
}

function assertHttpUrl(value: string, source: string): void {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw invalid(
      source,
      '/login_endpoint',
      `must be an http(s) URL like https://master.mesos/acs/api/v1/auth/login, got ${describeNonSecret(value)}`,
    );
  }
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text around the fault, which may be the private key: not kept.
    throw invalid(source, '', 'is not valid JSON');
  }
}

function invalid(source: string, pointer: string, problem: string): SecretsAgentError {
  return new SecretsAgentError(
    'ERR_AUTH_CREDENTIAL_INVALID',
    `credential from ${source}: ${pointer === '' ? 'the document' : pointer} ${problem}`,
    {
      details: { source, pointer },
    },
  );
}

// For fields that are not secret (scheme, endpoint): short, quoted.
function describeNonSecret(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
  if (value === null) return 'null';
  return `a ${Array.isArray(value) ? 'array' : typeof value}`;
}
