// `store init | seal | unseal | seal-status` against a store server (`--url`, over the Secrets API
// as a superuser) or a local data directory (`--data-dir`, opened in-process while no server runs).
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SecretsAgentError } from '../../core/errors.js';
import { createLogger, type Logger } from '../../core/log.js';
import type { SealStatus } from '../../core/secrets-api.js';
import { readPgpPublicKey } from '../../crypto/openpgp.js';
import { createIam } from '../../store/iam/iam.js';
import { openSecretStore, type SecretStore } from '../../store/secret-store.js';
import { openStorage } from '../../store/storage/open-storage.js';
import { chooseLoginEndpoint } from '../../auth/login-endpoint.js';
import { connectionArgsFrom, openConnection, urlEnvVar, type RemoteConnection } from '../connection.js';
import { applyIamBootstrap, planIamBootstrap, type IamBootstrapFlags } from '../iam-bootstrap.js';
import type { CliIo } from '../io.js';
import { readCappedStream, writeLine } from '../io.js';
import { fileReadError } from '../../core/file-read-error.js';

const maxKeyFileBytes = 64 * 1024;

/** What the admin commands read from argv (kebab-case keys as yargs gives them). */
export type StoreAdminArgv = Readonly<Record<string, unknown>> & { readonly json?: boolean | undefined };

type Target = { readonly kind: 'remote' } | { readonly kind: 'local'; readonly dataDir: string };

// `--url` wins, then `--data-dir`, then DCOS_CLUSTER_URL; neither: ERR_USAGE.
export function chooseTarget(argv: StoreAdminArgv, io: CliIo): Target {
  const args = connectionArgsFrom(argv);
  if (args.url !== undefined && args.dataDir !== undefined)
    throw usage('give --url (a store server) or --data-dir (a local data directory), not both');
  if (args.url !== undefined) return { kind: 'remote' };
  if (args.dataDir !== undefined) return { kind: 'local', dataDir: resolve(io.cwd, args.dataDir) };
  if ((io.env[urlEnvVar] ?? '').trim() !== '') return { kind: 'remote' };
  throw usage(
    `name the store: --url URL for a store server (or set ${urlEnvVar}), or --data-dir DIR for a local data directory`,
  );
}

// `store seal`.
export async function runSeal(argv: StoreAdminArgv, io: CliIo): Promise<void> {
  const target = chooseTarget(argv, io);
  const status =
    target.kind === 'remote'
      ? await withRemote(argv, io, (connection) => connection.api.seal())
      : await withLocalStore(target.dataDir, argv, io, (store) => store.seal.seal());
  printSealStatus(io, status, argv.json === true, 'Store sealed; it stays sealed across restarts until unsealed.');
}

// `store unseal [--key-file F | --auto]`; without either the hex key comes from stdin.
export async function runUnseal(argv: StoreAdminArgv, io: CliIo): Promise<void> {
  const target = chooseTarget(argv, io);
  const keyFile = typeof argv['key-file'] === 'string' ? argv['key-file'] : undefined;
  const auto = argv['auto'] === true;
  if (auto && keyFile !== undefined)
    throw usage('--auto unseals with the key kept in storage: give it or --key-file, not both');
  const key = auto
    ? undefined
    : (keyFile === undefined ? await readStdin(io) : await readKeyFile(resolve(io.cwd, keyFile))).trim();
  const status =
    target.kind === 'remote'
      ? await withRemote(argv, io, (connection) =>
          key === undefined ? connection.api.autoUnseal() : connection.api.unseal(key),
        )
      : await withLocalStore(target.dataDir, argv, io, (store) =>
          key === undefined ? store.seal.autoUnseal() : store.seal.unseal(key),
        );
  printSealStatus(io, status, argv.json === true, status.sealed ? 'Store is still sealed.' : 'Store unsealed.');
}

// `store seal-status`. Locally it also says whether the store would start sealed (intent, auto-unseal).
export async function runSealStatus(argv: StoreAdminArgv, io: CliIo): Promise<void> {
  const target = chooseTarget(argv, io);
  if (target.kind === 'remote') {
    const status = await withRemote(argv, io, (connection) => connection.api.sealStatus());
    printSealStatus(io, status, argv.json === true, status.sealed ? 'Sealed: yes' : 'Sealed: no');
    return;
  }
  await withLocalStore(target.dataDir, argv, io, async (store) => {
    const intent = store.seal.initialized ? await store.seal.sealIntent() : false;
    const autoUnseal = store.seal.canAutoUnseal();
    const { threshold, shares, progress } = store.seal.status();
    const sealed = !store.seal.initialized || intent || !autoUnseal;
    const report = {
      sealed,
      threshold,
      shares,
      progress,
      initialized: store.seal.initialized,
      sealIntent: intent,
      autoUnseal,
    };
    if (argv.json === true) {
      writeLine(io.stdout, JSON.stringify(report));
      return;
    }
    writeLine(io.stdout, `Sealed at next start: ${yesNo(sealed)}`);
    writeLine(io.stdout, `Initialized: ${yesNo(report.initialized)}`);
    writeLine(io.stdout, `Sealed on purpose (seal intent): ${yesNo(intent)}`);
    writeLine(io.stdout, `Auto-unseal key kept in storage: ${yesNo(autoUnseal)}`);
  });
}

export interface InitFlags extends IamBootstrapFlags {
  readonly pgpPublicKey?: string | undefined;
  readonly publicUrl?: string | undefined;
}

// `store init`. Locally: initialize, then the IAM bootstrap flags. Remotely: PUT /init, or show the
// existing init result (the encrypted unseal key) when the server already initialized itself.
export async function runInit(argv: StoreAdminArgv, flags: InitFlags, io: CliIo): Promise<void> {
  const target = chooseTarget(argv, io);
  const json = argv.json === true;
  if (target.kind === 'remote') {
    if (flags.superuser !== undefined || flags.serviceAccount !== undefined) {
      throw usage(
        '--superuser and --service-account set up a local data directory (--data-dir); on a running server use `secrets-agent iam user create` / `iam service-account create`',
      );
    }
    const pgpKey =
      flags.pgpPublicKey === undefined ? undefined : await readOperatorKeyBase64(resolve(io.cwd, flags.pgpPublicKey));
    await withRemote(argv, io, async (connection) => {
      const current = await connection.api.initStatus();
      if (current.initialized && pgpKey !== undefined)
        throw new SecretsAgentError(
          'ERR_STORE_ALREADY_INITIALIZED',
          `store at ${connection.url} is already initialized; --pgp-public-key only applies to a first init`,
        );
      const info = current.initialized
        ? current
        : await connection.api.initialize(pgpKey === undefined ? {} : { pgpPublicKeys: [pgpKey] });
      printInitInfo(
        io,
        info,
        json,
        current.initialized
          ? `Store at ${connection.url} was already initialized; its encrypted unseal key:`
          : `Initialized the store at ${connection.url}`,
      );
    });
    return;
  }
  const plan = await planIamBootstrap(flags, io);
  if (plan.serviceAccount !== undefined && flags.publicUrl === undefined) {
    throw usage(
      "--service-account with `store init` needs --public-url URL (where clients reach the store; the credential's login_endpoint is URL/acs/api/v1/auth/login)",
    );
  }
  const pgpPublicKeys =
    flags.pgpPublicKey === undefined ? [] : [await readOperatorKey(resolve(io.cwd, flags.pgpPublicKey))];
  await withLocalStore(target.dataDir, argv, io, async (store, log) => {
    const info = await store.seal.initialize({ pgpPublicKeys });
    if (plan.superuser !== undefined || plan.serviceAccount !== undefined) {
      const iam = await createIam({ storage: store.storage, log });
      try {
        await applyIamBootstrap(iam, plan, {
          log,
          loginEndpoint: flags.publicUrl === undefined ? undefined : chooseLoginEndpoint({ url: flags.publicUrl }),
          whenExists: 'fail',
        });
      } finally {
        await iam.close();
      }
    }
    printInitInfo(
      io,
      { initialized: info.initialized, keys: info.keys, pgpFingerprints: info.pgpFingerprints },
      json,
      `Initialized store \`${store.name}\` in ${target.dataDir}`,
    );
    if (json) return;
    writeLine(
      io.stdout,
      store.seal.canAutoUnseal()
        ? 'The bootstrap private key is kept in storage: the store auto-unseals on start.'
        : 'No private key is kept: the store starts sealed; unseal it with the decrypted key.',
    );
    if (plan.superuser !== undefined)
      writeLine(io.stdout, `Created superuser \`${plan.superuser.uid}\` (dcos:superuser full).`);
    if (plan.serviceAccount !== undefined)
      writeLine(
        io.stdout,
        `Created service account \`${plan.serviceAccount.uid}\`; its credential is in ${plan.serviceAccount.credentialOut} (mode 0600).`,
      );
  });
}

function printInitInfo(
  io: CliIo,
  info: { initialized: boolean; keys: readonly string[]; pgpFingerprints: readonly string[] },
  json: boolean,
  heading: string,
): void {
  if (json) {
    writeLine(
      io.stdout,
      JSON.stringify({ initialized: info.initialized, keys: info.keys, pgp_fingerprints: info.pgpFingerprints }),
    );
    return;
  }
  writeLine(io.stdout, heading);
  for (const fingerprint of info.pgpFingerprints) writeLine(io.stdout, `PGP fingerprint: ${fingerprint}`);
  for (const key of info.keys)
    writeLine(io.stdout, `Encrypted unseal key (hex; \`xxd -r -p | gpg -d\` opens it): ${key}`);
}

function printSealStatus(io: CliIo, status: SealStatus, json: boolean, human: string): void {
  if (json) {
    writeLine(
      io.stdout,
      JSON.stringify({
        sealed: status.sealed,
        threshold: status.threshold,
        shares: status.shares,
        progress: status.progress,
      }),
    );
    return;
  }
  writeLine(io.stdout, human);
}

async function withRemote<T>(
  argv: StoreAdminArgv,
  io: CliIo,
  action: (connection: RemoteConnection) => Promise<T>,
): Promise<T> {
  const log = createLogger({ destination: io.stderr, level: 'warn' });
  const connection = await openConnection({ ...connectionArgsFrom(argv), dataDir: undefined }, io, {
    log,
    remoteOnly: true,
  });
  try {
    if (connection.kind !== 'remote') throw usage('expected a store server');
    return await action(connection);
  } finally {
    await connection.close();
  }
}

// Opens the storage and the store (no auto-unseal), runs `action`, closes both.
async function withLocalStore<T>(
  dataDir: string,
  argv: StoreAdminArgv,
  io: CliIo,
  action: (store: SecretStore, log: Logger) => Promise<T>,
): Promise<T> {
  const log = createLogger({ destination: io.stderr, level: 'warn' });
  const text = (key: string): string | undefined => (typeof argv[key] === 'string' ? (argv[key] as string) : undefined);
  const zkAuth = text('zk-auth') ?? io.env['ZK_AUTH'];
  const storage = await openStorage({ dataDir, storage: text('storage'), zookeeperAuth: zkAuth, log });
  try {
    const instanceId = text('instance-id');
    const store = await openSecretStore({
      storage,
      log,
      autoUnseal: false,
      ...(instanceId === undefined ? {} : { instanceId }),
    });
    try {
      return await action(store, log);
    } finally {
      await store.close();
    }
  } finally {
    await storage.close();
  }
}

// Reads and checks an operator's OpenPGP public key file; the bytes go to the local init.
export async function readOperatorKey(file: string): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw fileReadError('ERR_PGP_KEY_INVALID', `--pgp-public-key ${file}`, error);
  }
  // Checked here so a bad key names the flag, not an API field.
  await readPgpPublicKey(bytes, `--pgp-public-key ${file}`);
  return new Uint8Array(bytes);
}

// The same key as base64 of its binary form, as `PUT /init` takes it in `pgp_keys`.
async function readOperatorKeyBase64(file: string): Promise<string> {
  const key = await readPgpPublicKey(await readOperatorKey(file), `--pgp-public-key ${file}`);
  return Buffer.from(key.toBinary()).toString('base64');
}

async function readKeyFile(file: string): Promise<string> {
  try {
    const info = await stat(file);
    if (info.size > maxKeyFileBytes)
      throw new SecretsAgentError('ERR_INPUT_INVALID', `--key-file ${file}: larger than ${maxKeyFileBytes} bytes`);
    return await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof SecretsAgentError) throw error;
    throw fileReadError('ERR_INPUT_INVALID', `--key-file ${file}`, error);
  }
}

async function readStdin(io: CliIo): Promise<string> {
  const bytes = await readCappedStream(
    io.stdin,
    maxKeyFileBytes,
    () => new SecretsAgentError('ERR_INPUT_INVALID', `unseal key on stdin is larger than ${maxKeyFileBytes} bytes`),
  );
  return bytes.toString('utf8');
}

function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}

function usage(message: string): SecretsAgentError {
  return new SecretsAgentError('ERR_USAGE', message);
}
