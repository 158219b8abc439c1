// Option checks shared by the client files, in the house message shape.
import { describeValue } from '../config/describe-value.js';
import { SecretsAgentError } from '../core/errors.js';

// Throws ERR_USAGE unless `value` is undefined or a positive safe integer.
export function assertOptionalPositiveInteger(value: unknown, name: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`${name}\` to be a positive integer, got ${describeValue(value)}`,
    );
  }
}

// Parses the store URL: http(s), no credentials, query or fragment; a path prefix is kept
// (a store behind a proxy at `https://host/prefix`), without its trailing slash.
export function parseBaseUrl(value: unknown, name = 'url'): URL {
  if (typeof value !== 'string' || value === '') {
    throw new SecretsAgentError('ERR_USAGE', `Expected \`${name}\` to be an http(s) URL, got ${describeValue(value)}`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch (error) {
    throw new SecretsAgentError('ERR_USAGE', `Expected \`${name}\` to be an http(s) URL, got ${describeValue(value)}`, {
      cause: error,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`${name}\` to be an http(s) URL, got scheme \`${url.protocol}\``,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`${name}\` without user:password (credentials go in --credential-file, --token-file or DCOS_SECRETS_USERNAME/PASSWORD)`,
    );
  }
  if (url.search !== '' || url.hash !== '') {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`${name}\` without a query or fragment, got ${describeValue(value)}`,
    );
  }
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

// `base` + an already-encoded path (starting with `/`) + optional query, as a new URL.
export function joinUrl(base: URL, encodedPath: string, query = ''): URL {
  const url = new URL(base.href);
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${encodedPath}`;
  url.search = query;
  return url;
}
