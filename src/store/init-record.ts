// The init record: written once, atomically (`create`), when a store is initialized. It is the
// commit point of init: the sealed keyring, the PGP-encrypted unseal key and the fingerprints of
// the keys it was encrypted to. None of it is secret in clear.
import { SecretsAgentError } from '../core/errors.js';

const initRecordVersion = 1;

export type InitKeySource = 'bootstrap' | 'operator';

export interface InitRecord {
  readonly initializedAt: string;
  /** `bootstrap`: the keypair was generated here and its private key is in storage (auto-unseal). */
  readonly keySource: InitKeySource;
  /** One binary OpenPGP message per key share (one share for now). */
  readonly encryptedUnsealKeys: readonly Uint8Array[];
  readonly pgpFingerprints: readonly string[];
  /** The keyring, sealed under the unseal key (keyring.ts). */
  readonly sealedKeyring: Uint8Array;
}

export function encodeInitRecord(record: InitRecord): Buffer {
  return Buffer.from(
    JSON.stringify({
      version: initRecordVersion,
      initializedAt: record.initializedAt,
      keySource: record.keySource,
      encryptedUnsealKeys: record.encryptedUnsealKeys.map((message) => Buffer.from(message).toString('base64')),
      pgpFingerprints: record.pgpFingerprints,
      sealedKeyring: Buffer.from(record.sealedKeyring).toString('base64'),
    }),
    'utf8',
  );
}

// Parses the stored init record; ERR_STORE_CORRUPT when it is not one.
export function parseInitRecord(bytes: Uint8Array, store: string): InitRecord {
  const corrupt = (what: string): SecretsAgentError =>
    new SecretsAgentError('ERR_STORE_CORRUPT', `init record of store \`${store}\` is malformed: ${what}`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw corrupt('not JSON');
  }
  if (typeof value !== 'object' || value === null) throw corrupt('not an object');
  const { version, initializedAt, keySource, encryptedUnsealKeys, pgpFingerprints, sealedKeyring } = value as Record<
    string,
    unknown
  >;
  if (version !== initRecordVersion) throw corrupt(`unknown version ${JSON.stringify(version)}`);
  if (typeof initializedAt !== 'string') throw corrupt('/initializedAt is not a string');
  if (keySource !== 'bootstrap' && keySource !== 'operator')
    throw corrupt('/keySource is not `bootstrap` or `operator`');
  if (!isStringArray(encryptedUnsealKeys) || encryptedUnsealKeys.length === 0)
    throw corrupt('/encryptedUnsealKeys is not a non-empty string array');
  if (!isStringArray(pgpFingerprints) || pgpFingerprints.length !== encryptedUnsealKeys.length)
    throw corrupt('/pgpFingerprints does not match /encryptedUnsealKeys');
  if (!pgpFingerprints.every((fingerprint) => /^[0-9a-f]{16,64}$/.test(fingerprint)))
    throw corrupt('/pgpFingerprints has a non-hex entry');
  if (typeof sealedKeyring !== 'string') throw corrupt('/sealedKeyring is not a string');
  return {
    initializedAt,
    keySource,
    encryptedUnsealKeys: encryptedUnsealKeys.map((text) => new Uint8Array(Buffer.from(text, 'base64'))),
    pgpFingerprints,
    sealedKeyring: new Uint8Array(Buffer.from(sealedKeyring, 'base64')),
  };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
