// Maps a network-level failure (socket, DNS, TLS, undici) to our codes. The original error is
// kept as `cause`; only its code appears in the message (third-party text is not ours to trust).
import { SecretsAgentError } from '../core/errors.js';

const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EAI_NONAME',
  'ETIMEDOUT',
  'EPROTO',
  'EADDRNOTAVAIL',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);
const timeoutCodes = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const tlsVerifyCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
  'INVALID_CA',
  'CERT_CHAIN_TOO_LONG',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
]);

// Codes for a request that could not be built (undici's and Node's header checks, and the
// socket transport's path check, which reuses Node's ERR_UNESCAPED_CHARACTERS).
const requestBuildCodes = new Set([
  'UND_ERR_INVALID_ARG',
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_UNESCAPED_CHARACTERS',
]);

// ERR_TLS_CONFIG for certificate failures (not retryable: retrying cannot fix trust),
// ERR_TIMEOUT for undici's own timeouts, ERR_STORE_UNREACHABLE for everything else network-shaped.
export function mapTransportError(error: unknown, target: string): SecretsAgentError {
  const code = findCode(error);
  if (code !== undefined && tlsVerifyCodes.has(code)) {
    return new SecretsAgentError(
      'ERR_TLS_CONFIG',
      `${target}: the server certificate was not accepted (${code}); pass the CA that signed it with --ca-file or DCOS_SECRETS_CA_CERT_FILE`,
      { details: { tlsCode: code }, cause: error },
    );
  }
  if (code !== undefined && requestBuildCodes.has(code)) {
    // e.g. a token with a control character: nothing was sent, and retrying cannot help.
    return new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `${target}: the request could not be built (${code}): a header or the path holds characters HTTP does not allow`,
      {
        details: { networkCode: code },
        cause: error,
      },
    );
  }
  if (code !== undefined && timeoutCodes.has(code)) {
    return new SecretsAgentError('ERR_TIMEOUT', `${target}: timed out (${code})`, {
      details: { networkCode: code },
      cause: error,
    });
  }
  if (
    code !== undefined &&
    (unreachableCodes.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'))
  ) {
    return new SecretsAgentError('ERR_STORE_UNREACHABLE', `${target}: cannot reach the server (${code})`, {
      details: { networkCode: code },
      cause: error,
    });
  }
  return new SecretsAgentError(
    'ERR_STORE_UNREACHABLE',
    `${target}: request failed (${code ?? 'unknown network error'})`,
    {
      ...(code === undefined ? {} : { details: { networkCode: code } }),
      cause: error,
    },
  );
}

// The most telling `code` along the cause chain (undici wraps socket errors; AggregateError holds
// one per address tried): a TLS code first, then any but undici's generic socket code.
function findCode(error: unknown): string | undefined {
  const codes = collectCodes(error, 0);
  return codes.find((code) => tlsVerifyCodes.has(code)) ?? codes.find((code) => code !== 'UND_ERR_SOCKET') ?? codes[0];
}

function collectCodes(error: unknown, depth: number): string[] {
  if (typeof error !== 'object' || error === null || depth > 5) return [];
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  const codes = typeof code === 'string' ? [code] : [];
  if (Array.isArray(errors)) for (const inner of errors) codes.push(...collectCodes(inner, depth + 1));
  codes.push(...collectCodes(cause, depth + 1));
  return codes;
}
