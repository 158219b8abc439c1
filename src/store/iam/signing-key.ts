// The store's own RSA key that signs DC/OS auth tokens: generated on first start, kept in storage
// (shared by every store instance on the same storage), published as a JWKS.
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { isSecretsAgentError } from '../../core/errors.js';
import type { StorageBackend } from '../storage/backend.js';
import { encodeRecord, parseSigningKeyRecord, signingKeyKey, type SigningKeyRecord } from './iam-records.js';

const generateKeyPairAsync = promisify(generateKeyPair);
export const signingKeyBits = 2048;

export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** RFC 7638 JWK thumbprint, also the `kid` of every token we sign. */
  readonly kid: string;
  readonly jwk: Readonly<Record<string, string>>;
}

// Reads the signing key, creating it when absent. Two instances racing both end up with the one that was created first.
export async function loadOrCreateSigningKey(storage: StorageBackend, now: () => Date): Promise<SigningKey> {
  const existing = await storage.get(signingKeyKey);
  if (existing !== undefined) return parseSigningKey(parseSigningKeyRecord(existing.value, signingKeyKey));
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: signingKeyBits });
  const record: SigningKeyRecord = {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    createdAt: now().toISOString(),
  };
  try {
    await storage.create(signingKeyKey, encodeRecord(record));
    return parseSigningKey(record);
  } catch (error) {
    if (!isSecretsAgentError(error, 'ERR_STORAGE_CONFLICT')) throw error;
    const winner = await storage.get(signingKeyKey);
    if (winner === undefined) throw error;
    return parseSigningKey(parseSigningKeyRecord(winner.value, signingKeyKey));
  }
}

// Turns the stored PEM into key objects, the kid and the public JWK.
export function parseSigningKey(record: SigningKeyRecord): SigningKey {
  const privateKey = createPrivateKey({ key: record.privateKeyPem, format: 'pem' });
  const publicKey = createPublicKey(privateKey);
  const exported = publicKey.export({ format: 'jwk' });
  const n = String(exported.n);
  const e = String(exported.e);
  // RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace.
  const kid = createHash('sha256')
    .update(JSON.stringify({ e, kty: 'RSA', n }))
    .digest('base64url');
  return { privateKey, publicKey, kid, jwk: Object.freeze({ kty: 'RSA', alg: 'RS256', use: 'sig', kid, n, e }) };
}
