// The two kinds of store the `secret` commands talk to, behind one shape: the real server (real
// IAM, HTTP on 127.0.0.1:0, reached with a token file) and the embedded store in a data directory.
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIamClient } from '../../../../src/client/iam-client.js';
import { openEmbeddedStore } from '../../../../src/store/embedded-store.js';
import { getTestPgpKeyPair } from '../../../helpers/pgp-keypair.js';
import { startRealStore, type RealStore } from '../../../client/support/real-store.js';

export type StoreKind = 'remote' | 'embedded';

export interface CliStore {
  readonly kind: StoreKind;
  /** Connection flags for a superuser (remote) or the data directory (embedded). */
  readonly args: readonly string[];
  seal(): Promise<void>;
  /** Only for the remote store. */
  readonly real?: RealStore;
  close(): Promise<void>;
}

export async function scratchDir(prefix: string): Promise<string> {
  return mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), prefix));
}

// A token file for `uid`, logged in once (scrypt per CLI call would be slow on two cores).
export async function writeTokenFile(url: string, uid: string, password: string): Promise<string> {
  const iam = createIamClient({ url });
  const token = await iam.login({ uid, password }).finally(() => iam.close());
  const file = join(await scratchDir('token-'), `token-${randomBytes(4).toString('hex')}`);
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return file;
}

export async function startCliStore(kind: StoreKind): Promise<CliStore> {
  if (kind === 'remote') {
    const real = await startRealStore();
    const tokenFile = await writeTokenFile(real.url, real.superuser.uid, real.superuser.password);
    return {
      kind,
      args: ['--url', real.url, '--token-file', tokenFile],
      real,
      async seal() {
        await real.server.store.seal.seal();
      },
      close: () => real.close(),
    };
  }
  const dataDir = await scratchDir('cli-embedded-');
  const initial = await openEmbeddedStore({ dataDir, initialize: { keyPair: await getTestPgpKeyPair() } });
  await initial.close();
  return {
    kind,
    args: ['--data-dir', dataDir],
    async seal() {
      const store = await openEmbeddedStore({ dataDir });
      try {
        await store.store.seal.seal();
      } finally {
        await store.close();
      }
    },
    close: async () => undefined,
  };
}
