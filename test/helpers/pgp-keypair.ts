import { generatePgpKeyPair, type PgpKeyPair } from '../../src/crypto/openpgp.js';

let pending: Promise<PgpKeyPair> | undefined;

// One RSA-4096 bootstrap keypair per test file (module state is per file), generated on first use:
// generating one per test would cost ~1.3 s each.
export function getTestPgpKeyPair(): Promise<PgpKeyPair> {
  pending ??= generatePgpKeyPair({ name: 'secrets-agent test bootstrap', email: 'bootstrap@example.test' });
  return pending;
}
