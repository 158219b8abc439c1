#!/usr/bin/env node
// A small volume driver, Portworx style: it keeps one cluster-wide key in the Secret Store
// (`pwx/secrets/cluster-wide-secret-key`, created once by an operator with
// `secrets-agent secret create --value-file - pwx/secrets/cluster-wide-secret-key`), derives each
// volume's encryption key from it (HKDF-SHA256 over the cluster key and the volume id), and keeps
// a per-volume record under the same base path with the create-or-update flow.
//
//   node driver.mjs create <volumeId>   derive the key, store volumes/<volumeId> (a JSON map)
//   node driver.mjs check <volumeId>    read the map back and check it matches the derived key
//   node driver.mjs delete <volumeId>   remove volumes/<volumeId>
//
// Configuration is Portworx's (libopenstorage/secrets dcos): DCOS_CLUSTER_URL,
// DCOS_SECRETS_USERNAME, DCOS_SECRETS_PASSWORD, and DCOS_SECRETS_CA_CERT_FILE for https.
// Output is one JSON line per command. Keys are never printed, only a fingerprint.
import { createHash, hkdfSync, timingSafeEqual } from 'node:crypto';
import { createSecretsClient, isSecretsAgentError } from 'secrets-agent';

const basePath = 'pwx/secrets';
const clusterKeyName = 'cluster-wide-secret-key';
// HKDF salt: separates this driver's keys from any other use of the same cluster key.
const salt = 'secrets-agent example volume driver v1';
const volumeKeyBytes = 32;

// The volume's key: HKDF-SHA256(cluster key, salt, info = "volume:<id>").
function deriveVolumeKey(clusterKey, volumeId) {
  return Buffer.from(hkdfSync('sha256', clusterKey, salt, `volume:${volumeId}`, volumeKeyBytes));
}

function fingerprint(key) {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

function openClient(env) {
  const url = env.DCOS_CLUSTER_URL ?? 'https://master.mesos';
  return createSecretsClient({
    url,
    username: env.DCOS_SECRETS_USERNAME,
    password: env.DCOS_SECRETS_PASSWORD,
    ...(env.DCOS_SECRETS_CA_CERT_FILE ? { caFile: env.DCOS_SECRETS_CA_CERT_FILE } : {}),
    basePath,
  });
}

async function volumeKey(client, volumeId) {
  const clusterKey = await client.getSecretBytes(clusterKeyName);
  return deriveVolumeKey(clusterKey, volumeId);
}

const commands = {
  async create(client, volumeId) {
    const key = await volumeKey(client, volumeId);
    // A map-valued secret: Portworx stores these as JSON inside `value`.
    const action = await client.putSecret(`volumes/${volumeId}`, {
      volumeId,
      kdf: 'HKDF-SHA256',
      clusterKey: `${basePath}/${clusterKeyName}`,
      passphrase: key.toString('base64'),
    });
    return { volumeId, action, fingerprint: fingerprint(key) };
  },
  async check(client, volumeId) {
    const key = await volumeKey(client, volumeId);
    const record = await client.getSecretMap(`volumes/${volumeId}`);
    const stored = typeof record.passphrase === 'string' ? Buffer.from(record.passphrase, 'base64') : Buffer.alloc(0);
    const matches = stored.length === key.length && timingSafeEqual(stored, key);
    return { volumeId, matches, fingerprint: fingerprint(key), fields: Object.keys(record).sort() };
  },
  async delete(client, volumeId) {
    await client.deleteSecret(`volumes/${volumeId}`);
    return { volumeId, action: 'deleted' };
  },
};

async function main(argv, env) {
  const [command, volumeId] = argv;
  if (!(command in commands) || volumeId === undefined || !/^[A-Za-z0-9._-]+$/.test(volumeId)) {
    process.stderr.write('usage: driver.mjs create|check|delete <volumeId>\n');
    return 64;
  }
  let client;
  try {
    client = openClient(env);
    process.stdout.write(`${JSON.stringify(await commands[command](client, volumeId))}\n`);
    return 0;
  } catch (error) {
    if (!isSecretsAgentError(error)) throw error;
    // The library's messages name paths and codes, never values.
    process.stderr.write(`error: ${error.message} (${error.code})\n`);
    return error.exitCode;
  } finally {
    await client?.close();
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
