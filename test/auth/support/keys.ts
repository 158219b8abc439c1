import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceAccountCredential } from '../../../src/auth/credential.js';

let cached: { privatePem: string; publicPem: string } | undefined;

// One RSA-2048 keypair per test file, like `dcos security org service-accounts keypair` makes.
export function getServiceKeyPair(): { privatePem: string; publicPem: string } {
  if (cached === undefined) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    cached = {
      privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    };
  }
  return cached;
}

// A credential shaped exactly as `dcos security secrets create-sa-secret --strict` stores it.
export function makeCredential(
  overrides: Partial<Record<keyof ServiceAccountCredential, unknown>> = {},
): Record<string, unknown> {
  return {
    login_endpoint: 'https://leader.mesos/acs/api/v1/auth/login',
    private_key: getServiceKeyPair().privatePem,
    scheme: 'RS256',
    uid: 'dcos-service',
    ...overrides,
  };
}

export async function makeScratchDir(prefix: string): Promise<string> {
  return mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), prefix));
}
