// The store the end-to-end tests run the agent against: the real server with the real IAM
// (test/client/support/real-store.ts), a counting proxy in front, a service account whose
// credential is a file, and helpers to write secrets and app definitions.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecretType } from '../../../src/core/secrets-api.js';
import { startRealStore, type RealStore } from '../../client/support/real-store.js';
import { startCountingProxy, type CountingProxy } from './counting-proxy.js';

export interface AgentStore {
  readonly store: RealStore;
  readonly proxy: CountingProxy;
  /** Where the agent connects (the proxy). */
  readonly url: string;
  readonly dir: string;
  readonly credentialFile: string;
  /** The credential JSON (for DCOS_SERVICE_ACCOUNT_CREDENTIAL). */
  readonly credentialJson: string;
  put(path: string, value: string | Uint8Array, type?: SecretType): Promise<void>;
  /** Writes an app or pod definition into the scratch dir; returns its path. */
  writeApp(name: string, definition: unknown): Promise<string>;
  /** A fresh sandbox directory (0755, so a --user workload can enter it). */
  sandbox(): Promise<string>;
  /** Reads of the secret at `path` the proxy saw: GETs plus batch reads naming it. */
  fetchCount(path: string): number;
  close(): Promise<void>;
}

// `grants`: rids the service account gets `full` on.
export async function startAgentStore(grants: readonly string[]): Promise<AgentStore> {
  const store = await startRealStore();
  const proxy = await startCountingProxy(store.url);
  const dir = await mkdtemp(join(tmpdir(), 'agent-e2e-'));
  await chmod(dir, 0o755);
  const credential = await store.createServiceAccount('agent-node', grants);
  const credentialJson = JSON.stringify({ ...credential, login_endpoint: `${proxy.url}/acs/api/v1/auth/login` });
  const credentialFile = join(dir, 'credential.json');
  await writeFile(credentialFile, credentialJson, { mode: 0o600 });
  return {
    store,
    proxy,
    url: proxy.url,
    dir,
    credentialFile,
    credentialJson,
    async put(path, value, type) {
      const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
      await store.server.store.secrets.create(
        path,
        { type: type ?? (typeof value === 'string' ? 'text' : 'binary'), bytes },
        'test',
      );
    },
    async writeApp(name, definition) {
      const file = join(dir, `${name}.json`);
      await writeFile(file, typeof definition === 'string' ? definition : JSON.stringify(definition, null, 2));
      return file;
    },
    async sandbox() {
      const made = await mkdtemp(join(dir, 'sandbox-'));
      await chmod(made, 0o755);
      return made;
    },
    fetchCount(path) {
      return (
        (proxy.counts.get(`GET /secrets/v1/secret/default/${path}`) ?? 0) + (proxy.counts.get(`BATCH ${path}`) ?? 0)
      );
    },
    async close() {
      await proxy.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
