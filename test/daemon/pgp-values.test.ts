// The daemon with the node's OpenPGP key (--pgp-key-file, or `pgpKeyFile` with
// `pgpPassphraseFile` in --config): stored values that are OpenPGP messages to that key reach the
// task decrypted, at the start and after a rotation; a re-encryption of the same value is no change.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { generatePgpKeyPair, type PgpKeyPair } from '../../src/crypto/openpgp.js';
import { canaryValue } from '../helpers/canary.js';
import { startDaemonStore, type DaemonStore } from './support/daemon-store.js';
import {
  createDaemonDirs,
  fixtureApp,
  readReport,
  startTestDaemon,
  waitFor,
  writeApp,
  type DaemonDirs,
  type TestDaemon,
} from './support/daemon-harness.js';

let store: DaemonStore;
let nodeKey: PgpKeyPair;
let dirs: DaemonDirs | undefined;
let daemon: TestDaemon | undefined;

beforeAll(async () => {
  store = await startDaemonStore();
  nodeKey = await generatePgpKeyPair({ name: 'secrets-agent node', rsaBits: 2048, passphrase: 'node-key-passphrase' });
});

afterEach(async () => {
  await daemon?.stop();
  daemon = undefined;
  if (dirs !== undefined) await rm(dirs.secretRoot, { recursive: true, force: true });
});

afterAll(async () => {
  await store?.close();
});

// An armored OpenPGP message of `text` to the node's public key, as an operator would store it.
async function encryptToNode(text: string): Promise<string> {
  const encryptionKeys = await openpgp.readKey({ armoredKey: nodeKey.publicKeyArmored });
  return openpgp.encrypt({ message: await openpgp.createMessage({ text }), encryptionKeys, format: 'armored' });
}

// Fresh directories, the node key (and its passphrase) in files, and a task using two encrypted secrets.
async function prepareNode(name: string): Promise<{ dirs: DaemonDirs; keyFile: string; passphraseFile: string }> {
  const made = await createDaemonDirs();
  dirs = made;
  await store.writeServiceAccount(`sa-${name}`, made.credentialFile);
  const keyFile = join(made.root, 'node-key.asc');
  const passphraseFile = join(made.root, 'node-key.pass');
  await writeFile(keyFile, nodeKey.privateKeyArmored, { mode: 0o600 });
  await writeFile(passphraseFile, 'node-key-passphrase\n', { mode: 0o600 });
  await store.setSecret(`${name}/db`, await encryptToNode(canaryValue));
  await store.setSecret(`${name}/cert`, await encryptToNode('cert-v1'));
  await writeApp(
    made,
    `${name}.json`,
    fixtureApp(made, name, {
      secrets: { db: `${name}/db`, cert: `${name}/cert` },
      env: { SECRET_DB: { secret: 'db' } },
      files: { cert: 'cert' },
    }),
  );
  return { dirs: made, keyFile, passphraseFile };
}

const events = (reports: DaemonDirs, name: string, kind: 'start' | 'signal') => async () =>
  (await readReport(reports, name)).filter((event) => event.event === kind);

describe('daemon with the node OpenPGP key', () => {
  it('decrypts env and file secrets at the start and a rotated file after it (flags)', async () => {
    const node = await prepareNode('flagged');
    daemon = await startTestDaemon(store, node.dirs, {
      pgpKeyFile: node.keyFile,
      pgpPassphraseFile: node.passphraseFile,
    });
    const [start] = await waitFor(async () => {
      const found = await events(node.dirs, 'flagged', 'start')();
      return found.length > 0 && found;
    }, 'the task to start');
    expect(start?.env?.['SECRET_DB']).toBe(canaryValue);
    expect(start?.files).toEqual({ cert: 'cert-v1' });

    // Encrypting the same value again gives other bytes in the store but the same delivered value.
    await store.setSecret('flagged/cert', await encryptToNode('cert-v1'));
    await store.setSecret('flagged/cert', await encryptToNode('cert-v2'));
    const signals = await waitFor(async () => {
      const found = await events(node.dirs, 'flagged', 'signal')();
      return found.length > 0 && found;
    }, 'SIGHUP after the rotation');
    expect(signals.map((event) => event.files?.['cert'])).toEqual(['cert-v2']);
    expect(signals[0]?.pid).toBe(start?.pid);
    expect(JSON.stringify(daemon.daemon.status())).not.toContain(canaryValue);
  });

  it('reads the key and its passphrase from `pgpKeyFile` and `pgpPassphraseFile` in --config', async () => {
    const node = await prepareNode('configured');
    const configFile = join(node.dirs.root, 'daemon.json');
    await writeFile(configFile, JSON.stringify({ pgpKeyFile: node.keyFile, pgpPassphraseFile: node.passphraseFile }));
    daemon = await startTestDaemon(store, node.dirs, {}, { configFile });
    const [start] = await waitFor(async () => {
      const found = await events(node.dirs, 'configured', 'start')();
      return found.length > 0 && found;
    }, 'the task to start');
    expect(start?.env?.['SECRET_DB']).toBe(canaryValue);
    expect(start?.files).toEqual({ cert: 'cert-v1' });
  });

  it('refuses to start with a key it cannot unlock, as run does', async () => {
    const node = await prepareNode('locked');
    await expect(startTestDaemon(store, node.dirs, { pgpKeyFile: node.keyFile })).rejects.toMatchObject({
      code: 'ERR_PGP_KEY_INVALID',
    });
    await expect(startTestDaemon(store, node.dirs, { pgpPassphraseFile: node.passphraseFile })).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
    });
  });
});
