// RS256 JSON Web Tokens: DC/OS auth tokens and service login tokens. The cryptographic check is
// `jose`'s (a maintained, widely reviewed JOSE implementation): its RS256 allow-list, `crit`
// handling (no extension is understood, so any `crit` fails) and clock tolerance for exp/nbf.
// In front of it, decodeJwt parses the token's shape strictly and says precisely what is wrong
// (`alg: none`, HMAC keyed with our public key, a missing `uid`), so those tokens never reach a
// signature check, and the messages name the problem; both layers must accept a token.
// Signing stays on node:crypto: it is synchronous (tests and tools build tokens inline) and
// signing is not where JWT libraries have gone wrong; verification is.
import { sign as signBytes, type KeyObject } from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
import { SecretsAgentError } from '../core/errors.js';

/** Longest token we parse; real ones are well under 2 KiB. */
export const maxTokenChars = 8192;
export const defaultClockSkewSeconds = 30;

export interface JwtClaims {
  readonly uid: string;
  readonly exp: number;
  readonly iat?: number;
  readonly [claim: string]: unknown;
}

export interface DecodedJwt {
  /** The compact token itself, for the signature check. */
  readonly token: string;
  readonly header: Readonly<Record<string, unknown>>;
  readonly claims: JwtClaims;
}

export interface SignJwtOptions {
  /** Key id put into the header (`kid`), e.g. the JWK thumbprint. */
  kid?: string;
}

export interface VerifyJwtOptions {
  /** The current time in seconds; defaults to the system clock. */
  nowSeconds?: number;
  /** Tolerance for `exp` (and `iat`/`nbf` in the future); default 30 s. */
  clockSkewSeconds?: number;
  /** Refuse tokens whose `exp` lies further ahead than this (service login tokens: 600). */
  maxExpiresInSeconds?: number;
}

const base64UrlPattern = /^[A-Za-z0-9_-]*$/;

// Signs `claims` as a compact RS256 JWS. The claims must already hold `uid` and `exp`.
export function signJwt(
  claims: Readonly<Record<string, unknown>>,
  privateKey: KeyObject,
  options: SignJwtOptions = {},
): string {
  assertRsaKey(privateKey, 'private');
  const header =
    options.kid === undefined ? { alg: 'RS256', typ: 'JWT' } : { alg: 'RS256', typ: 'JWT', kid: options.kid };
  const signingInput = `${encodeSegment(header)}.${encodeSegment(claims)}`;
  const signature = signBytes('sha256', Buffer.from(signingInput, 'ascii'), privateKey);
  return `${signingInput}.${signature.toString('base64url')}`;
}

// Same as signJwt, but the RSA operation runs on the libuv thread pool (keeps the event loop free under login load).
export async function signJwtAsync(
  claims: Readonly<Record<string, unknown>>,
  privateKey: KeyObject,
  options: SignJwtOptions = {},
): Promise<string> {
  assertRsaKey(privateKey, 'private');
  const header =
    options.kid === undefined ? { alg: 'RS256', typ: 'JWT' } : { alg: 'RS256', typ: 'JWT', kid: options.kid };
  const signingInput = `${encodeSegment(header)}.${encodeSegment(claims)}`;
  const signature = await new Promise<Buffer>((resolve, reject) => {
    signBytes('sha256', Buffer.from(signingInput, 'ascii'), privateKey, (error, result) =>
      error === null ? resolve(result) : reject(error),
    );
  });
  return `${signingInput}.${signature.toString('base64url')}`;
}

// Parses a compact JWS without checking its signature or times: strict structure, RS256 header,
// JSON object claims with a non-empty string `uid`. Used to learn which key to verify with.
export function decodeJwt(token: unknown): DecodedJwt {
  if (typeof token !== 'string' || token.length === 0) throw invalid('token is empty or not a string');
  if (token.length > maxTokenChars) throw invalid(`token is longer than ${maxTokenChars} characters`);
  const parts = token.split('.');
  if (parts.length !== 3) throw invalid('token does not have three dot-separated parts');
  const [headerPart, claimsPart, signaturePart] = parts as [string, string, string];
  const header = parseSegment(headerPart, 'header');
  assertHeader(header);
  const claims = parseSegment(claimsPart, 'payload');
  if (signaturePart === '' || !base64UrlPattern.test(signaturePart))
    throw invalid('token signature is missing or not base64url');
  return { token, header, claims: parseClaims(claims) };
}

// Verifies an RS256 token against `publicKey` and checks `exp`/`iat`/`nbf`; returns the claims.
// Throws ERR_AUTH_TOKEN_INVALID (malformed, forged) or ERR_AUTH_TOKEN_EXPIRED. Messages never contain the token.
export async function verifyJwt(
  token: unknown,
  publicKey: KeyObject,
  options: VerifyJwtOptions = {},
): Promise<JwtClaims> {
  return verifyDecodedJwt(decodeJwt(token), publicKey, options);
}

// The verification half of verifyJwt, for callers that decoded first to pick the key: jose checks
// the signature, the algorithm, `crit` and exp/nbf with the clock skew; then the limits jose has
// no option for (`iat` in the future, how far ahead `exp` may lie).
export async function verifyDecodedJwt(
  decoded: DecodedJwt,
  publicKey: KeyObject,
  options: VerifyJwtOptions = {},
): Promise<JwtClaims> {
  assertRsaKey(publicKey, 'public');
  const now = options.nowSeconds ?? Date.now() / 1000;
  const skew = options.clockSkewSeconds ?? defaultClockSkewSeconds;
  try {
    await jwtVerify(decoded.token, publicKey, {
      algorithms: ['RS256'],
      crit: {},
      clockTolerance: skew,
      currentDate: new Date(now * 1000),
    });
  } catch (error) {
    throw fromJoseError(error);
  }
  const claims = decoded.claims;
  // jose compares whole seconds; keep the boundary exact for fractional clocks too.
  if (claims.exp + skew <= now) throw new SecretsAgentError('ERR_AUTH_TOKEN_EXPIRED', 'token has expired');
  if (options.maxExpiresInSeconds !== undefined && claims.exp > now + options.maxExpiresInSeconds + skew) {
    throw invalid(`token expires more than ${options.maxExpiresInSeconds} seconds ahead`);
  }
  if (claims.iat !== undefined && claims.iat > now + skew) throw invalid('token is issued in the future');
  return claims;
}

// jose's errors as ours: a code callers match on and a message that never repeats the token.
function fromJoseError(error: unknown): SecretsAgentError {
  if (error instanceof joseErrors.JWTExpired)
    return new SecretsAgentError('ERR_AUTH_TOKEN_EXPIRED', 'token has expired');
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return invalid('token signature does not verify');
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return invalid('token algorithm must be RS256');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return invalid('token is not valid yet');
    return invalid(`token \`${error.claim.slice(0, 16)}\` claim is invalid`);
  }
  if (error instanceof joseErrors.JOSEError) return invalid(`token refused (${error.code})`);
  return new SecretsAgentError('ERR_INTERNAL', 'token verification failed unexpectedly', { cause: error });
}

function assertHeader(header: Record<string, unknown>): void {
  if (header['alg'] !== 'RS256') throw invalid(`token algorithm must be RS256, got ${describeAlg(header['alg'])}`);
  const typ = header['typ'];
  if (typ !== undefined && (typeof typ !== 'string' || typ.toUpperCase() !== 'JWT'))
    throw invalid('token type must be JWT');
  // RFC 7515 §4.1.11: extensions we do not understand must make the token invalid.
  if (header['crit'] !== undefined) throw invalid('token header has critical extensions');
  const kid = header['kid'];
  if (kid !== undefined && typeof kid !== 'string') throw invalid('token key id must be a string');
}

function parseClaims(claims: Record<string, unknown>): JwtClaims {
  const { uid, exp, iat, nbf } = claims;
  if (typeof uid !== 'string' || uid === '') throw invalid('token has no `uid` claim');
  if (typeof exp !== 'number' || !Number.isFinite(exp)) throw invalid('token has no numeric `exp` claim');
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat)))
    throw invalid('token `iat` claim is not a number');
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf)))
    throw invalid('token `nbf` claim is not a number');
  return claims as JwtClaims;
}

function parseSegment(segment: string, what: string): Record<string, unknown> {
  if (segment === '' || !base64UrlPattern.test(segment)) throw invalid(`token ${what} is not base64url`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw invalid(`token ${what} is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalid(`token ${what} is not a JSON object`);
  return parsed as Record<string, unknown>;
}

function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function assertRsaKey(key: KeyObject, type: 'public' | 'private'): void {
  if (key.type !== type || key.asymmetricKeyType !== 'rsa') {
    throw new SecretsAgentError(
      'ERR_INTERNAL',
      `RS256 needs an RSA ${type} key, got a ${key.asymmetricKeyType ?? key.type} ${key.type} key`,
    );
  }
}

function describeAlg(alg: unknown): string {
  if (alg === undefined) return 'none given';
  return typeof alg === 'string' ? `\`${alg.slice(0, 16)}\`` : `a ${typeof alg}`;
}

function invalid(message: string): SecretsAgentError {
  return new SecretsAgentError('ERR_AUTH_TOKEN_INVALID', message);
}
