// RS256 JSON Web Tokens with node:crypto only: DC/OS auth tokens and service login tokens.
// Verification is deliberately narrow: the header must name RS256 and the key must be an RSA
// public key we chose, so `alg: none`, HMAC (also keyed with our public key) and ECDSA tokens
// never reach a signature check that could accept them.
import { sign as signBytes, verify as verifyBytes, type KeyObject } from 'node:crypto';
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
  readonly header: Readonly<Record<string, unknown>>;
  readonly claims: JwtClaims;
  readonly signingInput: Buffer;
  readonly signature: Buffer;
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
  return {
    header,
    claims: parseClaims(claims),
    signingInput: Buffer.from(`${headerPart}.${claimsPart}`, 'ascii'),
    signature: Buffer.from(signaturePart, 'base64url'),
  };
}

// Verifies an RS256 token against `publicKey` and checks `exp`/`iat`/`nbf`; returns the claims.
// Throws ERR_AUTH_TOKEN_INVALID (malformed, forged) or ERR_AUTH_TOKEN_EXPIRED. Messages never contain the token.
export function verifyJwt(token: unknown, publicKey: KeyObject, options: VerifyJwtOptions = {}): JwtClaims {
  const decoded = decodeJwt(token);
  verifyDecodedSignature(decoded, publicKey);
  checkTimes(decoded.claims, options);
  return decoded.claims;
}

// The signature half of verifyJwt, for callers that decoded first to pick the key.
export function verifyDecodedSignature(decoded: DecodedJwt, publicKey: KeyObject): void {
  assertRsaKey(publicKey, 'public');
  // PKCS#1 v1.5 signatures are exactly as long as the modulus; anything else is forged or truncated.
  const modulusBytes = Math.ceil((publicKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  if (decoded.signature.length !== modulusBytes) throw invalid('token signature does not verify');
  if (!verifyBytes('sha256', decoded.signingInput, publicKey, decoded.signature))
    throw invalid('token signature does not verify');
}

// The time half of verifyJwt: `exp` in the future (with skew), optional `iat`/`nbf` not in the future.
export function checkTimes(claims: JwtClaims, options: VerifyJwtOptions = {}): void {
  const now = options.nowSeconds ?? Date.now() / 1000;
  const skew = options.clockSkewSeconds ?? defaultClockSkewSeconds;
  if (claims.exp + skew <= now) throw new SecretsAgentError('ERR_AUTH_TOKEN_EXPIRED', 'token has expired');
  if (options.maxExpiresInSeconds !== undefined && claims.exp > now + options.maxExpiresInSeconds + skew) {
    throw invalid(`token expires more than ${options.maxExpiresInSeconds} seconds ahead`);
  }
  if (claims.iat !== undefined && claims.iat > now + skew) throw invalid('token is issued in the future');
  const nbf = claims['nbf'];
  if (typeof nbf === 'number' && nbf > now + skew) throw invalid('token is not valid yet');
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
