// `secrets-agent store ...`: run the Secret Store (`serve`), initialize it (`init`), and seal,
// unseal or inspect a local data directory (`seal`, `unseal`, `seal-status` with `--data-dir`).
import { readFile, stat } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { SecretsAgentError } from '../../core/errors.js';
import { createLogger, type Logger } from '../../core/log.js';
import { readPgpPublicKey } from '../../crypto/openpgp.js';
import { createBootstrapAccess } from '../../store/http/bootstrap-access.js';
import { openSecretStore, type SecretStore } from '../../store/secret-store.js';
import { createStoreServer } from '../../store/server.js';
import { openStorage } from '../../store/storage/open-storage.js';
import type { StorageBackend } from '../../store/storage/backend.js';
import type { CliIo, CommandResult } from '../io.js';
import { writeLine } from '../io.js';
import type { RegisterCommands } from './index.js';

export const defaultListen = '127.0.0.1:1337';
const maxKeyFileBytes = 64 * 1024;

const storageOptions = {
  'data-dir': { type: 'string', demandOption: true, describe: 'The store data directory (file storage lives in DIR/storage)' },
  storage: { type: 'string', describe: 'Storage location: `file:` (default, under --data-dir) or `file:///abs/dir`' },
  'instance-id': { type: 'string', default: 'default', describe: 'Names this instance\'s seal state when several share one storage' },
} as const;

// Registers the `store` command group.
export const registerStoreCommands: RegisterCommands = (parser: Argv, io: CliIo, result: CommandResult): Argv =>
  parser.command('store', 'Run and administer the Secret Store', (store: Argv) =>
    store
      .command(
        'serve',
        'Serve the Secrets API (initializes the store on first start); runs until SIGTERM/SIGINT',
        (command: Argv) => command.options({
          ...storageOptions,
          listen: { type: 'string', default: defaultListen, describe: 'HOST:PORT to listen on (port 0 picks a free one)' },
          'tls-cert': { type: 'string', describe: 'PEM certificate file (with --tls-key: serve HTTPS)' },
          'tls-key': { type: 'string', describe: 'PEM private key file for --tls-cert' },
          'token-file': { type: 'string', describe: 'File holding the bootstrap token; whoever presents it is superuser' },
          'pgp-public-key': { type: 'string', describe: 'Operator OpenPGP public key (armor, binary, or base64 of `gpg --export`) for the first init' },
          'auto-init': { type: 'boolean', default: true, describe: 'Initialize on first start (--no-auto-init: wait for PUT /init)' },
        }),
        async (argv) => {
          result.exitCode = await serveStore({
            dataDir: argv['data-dir'],
            storage: argv.storage,
            instanceId: argv['instance-id'],
            listen: argv.listen,
            tlsCert: argv['tls-cert'],
            tlsKey: argv['tls-key'],
            tokenFile: argv['token-file'],
            pgpPublicKey: argv['pgp-public-key'],
            autoInit: argv['auto-init'],
          }, io);
        },
      )
      .command(
        'init',
        'Initialize the store in a data directory and print the PGP-encrypted unseal key',
        (command: Argv) => command.options({
          ...storageOptions,
          'pgp-public-key': { type: 'string', describe: 'Operator OpenPGP public key; without it a bootstrap keypair is generated and kept in storage' },
          json: { type: 'boolean', default: false, describe: 'Print {"initialized","keys","pgp_fingerprints"} as JSON' },
        }),
        async (argv) => {
          await withLocalStore(argv, io, async (store) => {
            const pgpPublicKeys = argv['pgp-public-key'] === undefined ? [] : [await readOperatorKey(argv['pgp-public-key'])];
            const info = await store.seal.initialize({ pgpPublicKeys });
            if (argv.json) {
              writeLine(io.stdout, JSON.stringify({ initialized: info.initialized, keys: info.keys, pgp_fingerprints: info.pgpFingerprints }));
              return;
            }
            writeLine(io.stdout, `Initialized store \`${store.name}\` in ${argv['data-dir']}`);
            for (const fingerprint of info.pgpFingerprints) writeLine(io.stdout, `PGP fingerprint: ${fingerprint}`);
            for (const key of info.keys) writeLine(io.stdout, `Encrypted unseal key (hex; \`xxd -r -p | gpg -d\` opens it): ${key}`);
            writeLine(io.stdout, store.seal.canAutoUnseal()
              ? 'The bootstrap private key is kept in storage: the store auto-unseals on start.'
              : 'No private key is kept: the store starts sealed; unseal it with the decrypted key.');
          });
        },
      )
      .command(
        'seal',
        'Seal the store in a data directory on purpose (it stays sealed across restarts)',
        (command: Argv) => command.options(storageOptions),
        async (argv) => {
          await withLocalStore(argv, io, async (store) => {
            writeLine(io.stdout, JSON.stringify(await store.seal.seal()));
          });
        },
      )
      .command(
        'unseal',
        'Check the unseal key against the store in a data directory and clear its seal intent',
        (command: Argv) => command.options({
          ...storageOptions,
          'key-file': { type: 'string', describe: 'File holding the hex unseal key (default: read it from stdin)' },
        }),
        async (argv) => {
          const key = argv['key-file'] === undefined ? await readStdin(io) : await readKeyFile(argv['key-file']);
          await withLocalStore(argv, io, async (store) => {
            writeLine(io.stdout, JSON.stringify(await store.seal.unseal(key)));
          });
        },
      )
      .command(
        'seal-status',
        'Show whether the store in a data directory will be sealed when it starts',
        (command: Argv) => command.options(storageOptions),
        async (argv) => {
          await withLocalStore(argv, io, async (store) => {
            const intent = store.seal.initialized ? await store.seal.sealIntent() : false;
            const autoUnseal = store.seal.canAutoUnseal();
            const { threshold, shares, progress } = store.seal.status();
            const sealed = !store.seal.initialized || intent || !autoUnseal;
            writeLine(io.stdout, JSON.stringify({ sealed, threshold, shares, progress, initialized: store.seal.initialized, sealIntent: intent, autoUnseal }));
          });
        },
      )
      .demandCommand(1, 'Name a store command; see `secrets-agent store --help`.'));

export interface ServeStoreOptions {
  readonly dataDir: string;
  readonly storage?: string | undefined;
  readonly instanceId?: string | undefined;
  readonly listen: string;
  readonly tlsCert?: string | undefined;
  readonly tlsKey?: string | undefined;
  readonly tokenFile?: string | undefined;
  readonly pgpPublicKey?: string | undefined;
  readonly autoInit?: boolean | undefined;
}

// Runs the server until SIGTERM/SIGINT, then closes it and the storage; returns the exit code.
export async function serveStore(options: ServeStoreOptions, io: CliIo): Promise<number> {
  const stop = waitForStopSignal();
  try {
    const listen = parseListenFlag(options.listen);
    if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
      throw new SecretsAgentError('ERR_USAGE', '--tls-cert and --tls-key go together: give both or neither');
    }
    if (options.tokenFile === undefined) {
      throw new SecretsAgentError('ERR_USAGE', 'Expected `--token-file`: the store needs an access token file to authorize requests');
    }
    const log = createLogger({ destination: io.stderr, name: 'secret-store' });
    const token = await readTokenFile(options.tokenFile, log);
    const pgpPublicKeys = options.pgpPublicKey === undefined ? [] : [await readOperatorKey(options.pgpPublicKey)];
    const storage = await openStorage({ dataDir: options.dataDir, storage: options.storage, log });
    try {
      const server = await createStoreServer({
        storage,
        access: createBootstrapAccess(token),
        log,
        listen,
        ...(options.tlsCert !== undefined && options.tlsKey !== undefined ? { tls: { certFile: options.tlsCert, keyFile: options.tlsKey } } : {}),
        ...(options.instanceId === undefined ? {} : { instanceId: options.instanceId }),
        initialize: options.autoInit === false ? false : { pgpPublicKeys },
      });
      warnIfOperatorKeyIgnored(server.store, pgpPublicKeys, log);
      const signal = await stop.signal;
      log.info({ signal }, 'stopping on signal');
      await server.close();
    } finally {
      await storage.close();
    }
    return 0;
  } finally {
    stop.dispose();
  }
}

// With `data-dir` and friends: opens storage and the store (no auto-unseal), runs `action`, closes.
async function withLocalStore(
  argv: { 'data-dir': string; storage?: string | undefined; 'instance-id'?: string | undefined },
  io: CliIo,
  action: (store: SecretStore) => Promise<void>,
): Promise<void> {
  const log = createLogger({ destination: io.stderr, level: 'warn' });
  const storage: StorageBackend = await openStorage({ dataDir: argv['data-dir'], storage: argv.storage, log });
  try {
    const store = await openSecretStore({
      storage,
      log,
      autoUnseal: false,
      ...(argv['instance-id'] === undefined ? {} : { instanceId: argv['instance-id'] }),
    });
    try {
      await action(store);
    } finally {
      await store.close();
    }
  } finally {
    await storage.close();
  }
}

// `HOST:PORT`, `[::1]:PORT`; port 0..65535.
export function parseListenFlag(value: string): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value.trim());
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (match === null || host === undefined || !Number.isInteger(port) || port > 65535) {
    throw new SecretsAgentError('ERR_USAGE', `Expected \`--listen\` to be HOST:PORT (e.g. 127.0.0.1:1337), got \`${JSON.stringify(value).slice(1, -1).slice(0, 80)}\` (string)`);
  }
  return { host, port };
}

async function readTokenFile(file: string, log: Logger): Promise<string> {
  let text: string;
  try {
    const info = await stat(file);
    // The token makes its holder superuser: say so when others can read it.
    if ((info.mode & 0o077) !== 0) log.warn({ file, mode: `0o${(info.mode & 0o777).toString(8)}` }, '--token-file is readable by group or others; chmod 600 it');
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new SecretsAgentError('ERR_CONFIG_INVALID', `--token-file ${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
  const token = text.trim();
  if (token === '' || /\s/.test(token)) throw new SecretsAgentError('ERR_CONFIG_INVALID', `--token-file ${file}: expected one token on one line`);
  return token;
}

async function readOperatorKey(file: string): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new SecretsAgentError('ERR_PGP_KEY_INVALID', `--pgp-public-key ${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
  // Checked here so a bad key names the flag, not an API field.
  await readPgpPublicKey(bytes, `--pgp-public-key ${file}`);
  return new Uint8Array(bytes);
}

function warnIfOperatorKeyIgnored(store: SecretStore, keys: readonly Uint8Array[], log: Logger): void {
  if (keys.length > 0 && store.seal.canAutoUnseal()) {
    log.warn({ pgpFingerprints: store.seal.initInfo().pgpFingerprints }, '--pgp-public-key ignored: the store was already initialized with a bootstrap key');
  }
}

async function readKeyFile(file: string): Promise<string> {
  try {
    const info = await stat(file);
    if (info.size > maxKeyFileBytes) throw new SecretsAgentError('ERR_INPUT_INVALID', `--key-file ${file}: larger than ${maxKeyFileBytes} bytes`);
    return await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof SecretsAgentError) throw error;
    throw new SecretsAgentError('ERR_INPUT_INVALID', `--key-file ${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
}

async function readStdin(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of io.stdin as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += buffer.length;
    if (total > maxKeyFileBytes) throw new SecretsAgentError('ERR_INPUT_INVALID', `unseal key on stdin is larger than ${maxKeyFileBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// Resolves with the first SIGTERM/SIGINT; dispose() removes the handlers again.
function waitForStopSignal(): { signal: Promise<NodeJS.Signals>; dispose(): void } {
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = resolve;
  });
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return {
    signal,
    dispose() {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
