// Password hashing for IAM users: scrypt (node:crypto) with a random 16-byte salt per user.
// N=2^15, r=8, p=3 is one of OWASP's equivalent minimum scrypt settings (32 MiB, ~0.25 s on the
// project's machine); the parameters are stored with each hash so they can be raised later.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { SecretsAgentError } from '../../core/errors.js';

export interface PasswordHash {
  readonly algorithm: 'scrypt';
  readonly N: number;
  readonly r: number;
  readonly p: number;
  /** base64 */
  readonly salt: string;
  /** base64 */
  readonly hash: string;
}

export const minPasswordChars = 8;
export const maxPasswordBytes = 1024;

const defaultParameters = { N: 2 ** 15, r: 8, p: 3 } as const;
const hashBytes = 32;
const saltBytes = 16;

// Hashes a new password (validated first: 8 characters to 1 KiB).
export async function hashPassword(password: string): Promise<PasswordHash> {
  assertPassword(password);
  const salt = randomBytes(saltBytes);
  const hash = await derive(password, salt, defaultParameters);
  return { algorithm: 'scrypt', ...defaultParameters, salt: salt.toString('base64'), hash: hash.toString('base64') };
}

// Compares in constant time; false for any mismatch, including an over-long password.
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  if (Buffer.byteLength(password, 'utf8') > maxPasswordBytes) return false;
  const expected = Buffer.from(stored.hash, 'base64');
  const actual = await derive(password, Buffer.from(stored.salt, 'base64'), stored);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

// A hash no password matches, so unknown uids cost the same scrypt work as known ones.
export function createDecoyPasswordHash(): PasswordHash {
  return {
    algorithm: 'scrypt',
    ...defaultParameters,
    salt: randomBytes(saltBytes).toString('base64'),
    hash: randomBytes(hashBytes).toString('base64'),
  };
}

// Throws ERR_INPUT_INVALID unless the password has 8 characters to 1 KiB.
export function assertPassword(password: unknown): asserts password is string {
  if (
    typeof password !== 'string' ||
    [...password].length < minPasswordChars ||
    Buffer.byteLength(password, 'utf8') > maxPasswordBytes
  ) {
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `Expected password to be a string of at least ${minPasswordChars} characters and at most ${maxPasswordBytes} bytes`,
    );
  }
}

// Narrows a stored hash description; throws on anything unexpected.
export function parsePasswordHash(value: unknown): PasswordHash {
  if (typeof value !== 'object' || value === null) throw new TypeError('password hash is not an object');
  const { algorithm, N, r, p, salt, hash } = value as Record<string, unknown>;
  const isPositiveInteger = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n > 0;
  if (algorithm !== 'scrypt' || !isPositiveInteger(N) || !isPositiveInteger(r) || !isPositiveInteger(p))
    throw new TypeError('password hash parameters are invalid');
  // Bounds keep a tampered record from making one login eat the machine.
  if (N > 2 ** 20 || r > 32 || p > 16 || typeof salt !== 'string' || typeof hash !== 'string')
    throw new TypeError('password hash parameters are out of range');
  return { algorithm, N, r, p, salt, hash };
}

function derive(password: string, salt: Buffer, parameters: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = {
    N: parameters.N,
    r: parameters.r,
    p: parameters.p,
    maxmem: 256 * parameters.N * parameters.r + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, hashBytes, options, (error, key) =>
      error === null ? resolve(key) : reject(error),
    );
  });
}
