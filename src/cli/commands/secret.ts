// `secrets-agent secret ...`: the DC/OS CLI's `security secrets` commands (create, get, list,
// update, delete) plus export/import of the dcos-migrate backup format, against a store server
// (--url, DCOS_CLUSTER_URL or the saved session) or the embedded store (--data-dir). Both paths
// go through the same SecretsApi, so they behave alike and fail with the same error codes.
// Values are written only where asked (stdout of `get`, an --output file), never to logs or errors.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { parseBackup, serializeBackup } from '../../backup/index.js';
import { confinePath } from '../../client/base-path.js';
import { SecretsAgentError } from '../../core/errors.js';
import type { SecretRecord, SecretsApi } from '../../core/secrets-api.js';
import { parseSecretPath } from '../../store/secret-path.js';
import { maxSecretValueBytes } from '../../store/secret-repository.js';
import { createCliLogger } from '../cli-logger.js';
import {
  basePathOption,
  connectionArgsFrom,
  connectionOptions,
  groupConnectionOptions,
  openConnection,
} from '../connection.js';
import type { CliIo } from '../io.js';
import { readCappedStream, writeLine } from '../io.js';
import { exportSecrets } from '../secret/export-secrets.js';
import { importSecrets } from '../secret/import-secrets.js';
import { readSecretInput } from '../secret/read-input.js';
import { writeOutputFile } from '../secret/write-output.js';
import type { RegisterCommands } from './index.js';
import { fileReadError } from '../../core/file-read-error.js';

/** A backup file holds many secrets, each up to 1 MiB as base64: read at most this much. */
const maxBackupFileBytes = 256 * 1024 * 1024;

const commonOptions = {
  ...connectionOptions,
  ...basePathOption,
  json: { type: 'boolean', default: false, describe: 'Machine-readable JSON output' },
} as const;

const valueOptions = {
  value: {
    type: 'string',
    nargs: 1,
    describe: 'The text value (note: visible to other users in `ps`; prefer --value-file -)',
  },
  'value-file': {
    type: 'string',
    nargs: 1,
    describe: 'Read the text value from this file, or stdin for `-`; one trailing newline is dropped',
  },
  'text-file': { type: 'string', nargs: 1, describe: "Store this file's UTF-8 text exactly (`-`: stdin)" },
  file: { type: 'string', nargs: 1, describe: "Store this file's raw bytes as a binary secret (`-`: stdin)" },
  description: { type: 'string', describe: 'Description (text secrets)' },
  label: { type: 'string', array: true, nargs: 1, describe: 'A label (text secrets); repeat for more' },
} as const;
const writeOptions = { ...commonOptions, ...valueOptions } as const;

type ParsedArgs = Readonly<Record<string, unknown>>;

// Registers the `secret` command group.
export const registerSecretCommands: RegisterCommands = (parser: Argv, io: CliIo): Argv =>
  parser.command('secret', 'Create, read, list, update, delete, export and import secrets', (secret: Argv) =>
    secret
      .command(
        'create <path>',
        'Create a secret; fails with ERR_SECRET_EXISTS when the path is taken',
        (command: Argv) =>
          groupConnectionOptions(
            command.positional('path', { type: 'string', demandOption: true }).options(writeOptions),
            writeOptions,
          ),
        async (argv) => writeSecret('create', argv, io),
      )
      .command(
        'update <path>',
        'Replace the value of an existing secret; ERR_SECRET_NOT_FOUND when there is none',
        (command: Argv) =>
          groupConnectionOptions(
            command.positional('path', { type: 'string', demandOption: true }).options(writeOptions),
            writeOptions,
          ),
        async (argv) => writeSecret('update', argv, io),
      )
      .command(
        'get <path>',
        "Print a secret's value (or write it to --output, mode 0600)",
        (command: Argv) =>
          groupConnectionOptions(
            command.positional('path', { type: 'string', demandOption: true }).options({
              ...commonOptions,
              output: {
                type: 'string',
                nargs: 1,
                describe: 'Write the value to this file (0600, atomic) instead of stdout',
              },
            }),
            { ...commonOptions, output: true },
          ),
        async (argv) => {
          await withApi(argv, io, async (api, basePath) => {
            const record = await api.getSecret(confinePath(basePath, argv.path));
            await printSecret(record, { output: argv.output, json: argv.json }, io);
          });
        },
      )
      .command(
        'list [path]',
        'List the secrets below a folder (recursive, sorted), one per line',
        (command: Argv) =>
          command
            .positional('path', {
              type: 'string',
              default: '',
              describe: 'Folder (default: the root, or the base path)',
            })
            .options(commonOptions)
            .group(Object.keys(connectionOptions), 'Connection options:'),
        async (argv) => {
          await withApi(argv, io, async (api, basePath) => {
            const keys = await api.listSecrets(confinePath(basePath, argv.path, { listing: true }));
            if (argv.json) writeLine(io.stdout, JSON.stringify(keys));
            else for (const key of keys) writeLine(io.stdout, key);
          });
        },
      )
      .command(
        'delete <path>',
        'Delete a secret; ERR_SECRET_NOT_FOUND when there is none',
        (command: Argv) =>
          groupConnectionOptions(
            command.positional('path', { type: 'string', demandOption: true }).options(commonOptions),
            commonOptions,
          ),
        async (argv) => {
          await withApi(argv, io, async (api, basePath) => {
            const path = confinePath(basePath, argv.path);
            await api.deleteSecret(path);
            if (argv.json) writeLine(io.stdout, JSON.stringify({ path, action: 'deleted' }));
          });
        },
      )
      .command(
        'export [path]',
        'Back up the secrets below a folder (or one secret) to a JSON file, mode 0600 (dcos-migrate format)',
        (command: Argv) =>
          command
            .positional('path', { type: 'string', default: '', describe: 'Folder or secret (default: everything)' })
            .options({
              ...commonOptions,
              output: {
                type: 'string',
                nargs: 1,
                demandOption: true,
                describe: 'The backup file (0600, written atomically); `-` for stdout',
              },
            })
            .group(Object.keys(connectionOptions), 'Connection options:'),
        async (argv) => {
          await withApi(argv, io, async (api, basePath) => {
            const document = await exportSecrets(api, basePath, argv.path);
            const text = serializeBackup(document);
            const count = document.secrets.length;
            if (argv.output === '-') {
              io.stdout.write(text);
              if (argv.json) writeLine(io.stderr, JSON.stringify({ output: '-', count }));
              return;
            }
            const written = await writeOutputFile(argv.output, new TextEncoder().encode(text), io);
            if (argv.json) writeLine(io.stdout, JSON.stringify({ output: written, count }));
            else writeLine(io.stdout, `Exported ${count} ${count === 1 ? 'secret' : 'secrets'} to ${written}`);
          });
        },
      )
      .command(
        'import <file>',
        'Restore secrets from a backup file (`-`: stdin); refuses existing paths unless --overwrite',
        (command: Argv) =>
          command
            .positional('file', { type: 'string', demandOption: true })
            .options({
              ...commonOptions,
              overwrite: { type: 'boolean', default: false, describe: 'Replace secrets that already exist' },
            })
            .group(Object.keys(connectionOptions), 'Connection options:'),
        async (argv) => {
          // yargs hands a lone `-` positional over as ''.
          const file = argv.file === '' ? '-' : argv.file;
          const content = await readBackupFile(file, io);
          await withApi(argv, io, async (api, basePath) => {
            // The whole file is checked (every issue, with its JSON pointer) before anything is written.
            const document = parseBackup(content, {
              source: file === '-' ? 'the backup on stdin' : file,
              checkPath: (path) => parseSecretPath(confinePath(basePath, path)),
              maxValueBytes: maxSecretValueBytes,
            });
            const result = await importSecrets(api, basePath, document, { overwrite: argv.overwrite });
            if (argv.json) writeLine(io.stdout, JSON.stringify(result));
            else
              writeLine(
                io.stdout,
                `Imported ${result.created.length + result.updated.length} secrets (${result.created.length} created, ${result.updated.length} updated)`,
              );
          });
        },
      )
      .demandCommand(1, 'Name a secret command; see `secrets-agent secret --help`.'),
  );

async function writeSecret(
  action: 'create' | 'update',
  argv: ParsedArgs & { path: string; json: boolean },
  io: CliIo,
): Promise<void> {
  const input = await readSecretInput(
    {
      value: stringArg(argv['value']),
      valueFile: stringArg(argv['value-file']),
      textFile: stringArg(argv['text-file']),
      file: stringArg(argv['file']),
      description: stringArg(argv['description']),
      labels: Array.isArray(argv['label']) ? argv['label'].map(String) : undefined,
    },
    io,
  );
  await withApi(argv, io, async (api, basePath) => {
    const path = confinePath(basePath, argv.path);
    if (action === 'create') await api.createSecret(path, input);
    else await api.updateSecret(path, input);
    if (argv.json)
      writeLine(
        io.stdout,
        JSON.stringify({ path, type: input.type, action: action === 'create' ? 'created' : 'updated' }),
      );
  });
}

// `get`: raw value to stdout (a newline added only for a terminal), JSON with --json, or a file.
async function printSecret(
  record: SecretRecord,
  options: { output: string | undefined; json: boolean },
  io: CliIo,
): Promise<void> {
  const metadata = {
    path: record.path,
    type: record.type,
    ...(record.description === undefined ? {} : { description: record.description }),
    ...(record.labels === undefined ? {} : { labels: record.labels }),
    ...(record.author === undefined ? {} : { author: record.author }),
    ...(record.created === undefined ? {} : { created: record.created }),
    ...(record.updated === undefined ? {} : { updated: record.updated }),
  };
  if (options.output !== undefined) {
    const written = await writeOutputFile(options.output, record.bytes, io);
    if (options.json)
      writeLine(io.stdout, JSON.stringify({ ...metadata, output: written, sizeBytes: record.bytes.byteLength }));
    return;
  }
  const bytes = Buffer.from(record.bytes.buffer, record.bytes.byteOffset, record.bytes.byteLength);
  if (options.json) {
    const value =
      record.type === 'text' ? { value: bytes.toString('utf8') } : { value_base64: bytes.toString('base64') };
    writeLine(io.stdout, JSON.stringify({ ...metadata, ...value }));
    return;
  }
  const terminal = (io.stdout as { isTTY?: boolean }).isTTY === true;
  if (record.type === 'binary' && terminal) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Secret \`${record.path}\` is binary: write it with --output FILE, or pipe stdout`,
      { details: { path: record.path } },
    );
  }
  io.stdout.write(bytes);
  if (terminal && bytes.at(-1) !== 0x0a) io.stdout.write('\n');
}

// Opens the connection the flags describe, runs `action` with its API and base path, closes it.
async function withApi(
  argv: ParsedArgs,
  io: CliIo,
  action: (api: SecretsApi, basePath: string) => Promise<void>,
): Promise<void> {
  const connection = await openConnection(connectionArgsFrom(argv), io, { log: createCliLogger(io) });
  try {
    await action(connection.api, connection.basePath);
  } finally {
    await connection.close();
  }
}

async function readBackupFile(file: string, io: CliIo): Promise<Uint8Array> {
  if (file === '-') {
    return new Uint8Array(
      await readCappedStream(
        io.stdin,
        maxBackupFileBytes,
        () =>
          new SecretsAgentError('ERR_INPUT_INVALID', `the backup on stdin is larger than ${maxBackupFileBytes} bytes`),
      ),
    );
  }
  try {
    const bytes = await readFile(resolve(io.cwd, file));
    if (bytes.length > maxBackupFileBytes)
      throw new SecretsAgentError('ERR_INPUT_INVALID', `${file} is larger than ${maxBackupFileBytes} bytes`);
    return new Uint8Array(bytes);
  } catch (error) {
    if (error instanceof SecretsAgentError) throw error;
    throw fileReadError('ERR_INPUT_INVALID', file, error, { file });
  }
}

function stringArg(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
