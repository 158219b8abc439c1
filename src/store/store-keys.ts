// Where the Secret Store keeps its records in storage. Secret paths are not secret; values are
// encrypted (secret-record.ts). The IAM keeps its own records under `iam/`.
//   secrets/<store>/<path>                     encrypted secret records
//   store/<store>/init                         init record: PGP-encrypted unseal key, fingerprints, sealed keyring
//   store/<store>/pgp-private-keys/<fpr>       armored bootstrap private key (only without an operator key)
//   store/<store>/seal-intent/<instanceId>     {"sealed": bool}: whether the instance was sealed on purpose

export const defaultStoreName = 'default';
export const defaultInstanceId = 'default';

const instanceIdPattern = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;

export function secretsFolderKey(store: string, path: string): string {
  return path === '' ? `secrets/${store}` : `secrets/${store}/${path}`;
}

export function secretKey(store: string, path: string): string {
  return `secrets/${store}/${path}`;
}

export function initRecordKey(store: string): string {
  return `store/${store}/init`;
}

export function bootstrapPrivateKeyKey(store: string, fingerprint: string): string {
  return `store/${store}/pgp-private-keys/${fingerprint}`;
}

export function sealIntentKey(store: string, instanceId: string): string {
  return `store/${store}/seal-intent/${instanceId}`;
}

// Instance ids name a storage key segment and appear in logs.
export function isValidInstanceId(value: unknown): value is string {
  return typeof value === 'string' && instanceIdPattern.test(value);
}
