// Reads `exp` and `iat` from a DC/OS auth token without verifying it: the client only needs to
// know when to renew; the store verifies. Opaque (non-JWT) tokens simply have no expiry.

export interface TokenTimes {
  /** Seconds since the epoch, when the token says. */
  readonly expSeconds?: number;
  readonly iatSeconds?: number;
  readonly uid?: string;
}

/** Decodes the payload of a compact JWS; returns {} for anything that is not one. */
export function readTokenTimes(token: string): TokenTimes {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined || parts[1].length > 8192) return {};
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return {};
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return {};
  const { exp, iat, uid } = claims as Record<string, unknown>;
  return {
    ...(isTime(exp) ? { expSeconds: exp } : {}),
    ...(isTime(iat) ? { iatSeconds: iat } : {}),
    ...(typeof uid === 'string' ? { uid } : {}),
  };
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}
