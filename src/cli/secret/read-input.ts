// Reads what `secret create` / `secret update` store, from exactly one source:
// --value (argv: visible in `ps`), --value-file F|- (one line; the trailing newline dropped),
// --text-file F|- (UTF-8 text, byte-exact, as `dcos security secrets create -t`), or
// --file F|- (raw bytes: a binary secret, as `-f` since DC/OS 1.11).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { SecretsAgentError } from '../../core/errors.js';
import type { SecretInput } from '../../core/secrets-api.js';
import { readCappedStream, type CliIo } from '../io.js';
import { fileReadError } from '../../core/file-read-error.js';

/** What we read before the store's own limit (1 MiB - 1 KiB) decides: the server's request cap. */
export const maxInputBytes = 2 * 1024 * 1024;

export interface SecretInputArgs {
  readonly value?: string | undefined;
  readonly valueFile?: string | undefined;
  readonly textFile?: string | undefined;
  readonly file?: string | undefined;
  readonly description?: string | undefined;
  readonly labels?: readonly string[] | undefined;
}

// The SecretInput the flags describe; ERR_USAGE unless exactly one source is given.
export async function readSecretInput(args: SecretInputArgs, io: CliIo): Promise<SecretInput> {
  const sources = (['value', 'valueFile', 'textFile', 'file'] as const).filter((name) => args[name] !== undefined);
  if (sources.length !== 1) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Pass exactly one of --value, --value-file, --text-file or --file${sources.length > 1 ? ` (got ${sources.map(flagName).join(', ')})` : ''}`,
    );
  }
  const extra = {
    ...(args.description === undefined ? {} : { description: args.description }),
    ...(args.labels === undefined || args.labels.length === 0 ? {} : { labels: args.labels }),
  };
  if (args.file !== undefined) {
    if (Object.keys(extra).length > 0)
      throw new SecretsAgentError(
        'ERR_USAGE',
        '--description and --label go with text secrets only; --file stores a binary secret',
      );
    return { type: 'binary', bytes: await readSource(args.file, '--file', io) };
  }
  if (args.value !== undefined) return { type: 'text', bytes: new TextEncoder().encode(args.value), ...extra };
  if (args.valueFile !== undefined) {
    const bytes = assertUtf8(await readSource(args.valueFile, '--value-file', io), '--value-file');
    return { type: 'text', bytes: dropTrailingNewline(bytes), ...extra };
  }
  const textFile = args.textFile as string;
  return { type: 'text', bytes: assertUtf8(await readSource(textFile, '--text-file', io), '--text-file'), ...extra };
}

// A file's bytes, or stdin's for `-`, refusing more than maxInputBytes.
async function readSource(source: string, flag: string, io: CliIo): Promise<Uint8Array> {
  if (source === '-') return readStream(io.stdin, `${flag} - (stdin)`);
  const file = resolve(io.cwd, source);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw fileReadError('ERR_INPUT_INVALID', `${flag} ${source}`, error, { file });
  }
  if (bytes.length > maxInputBytes) throw tooLarge(`${flag} ${source}`, bytes.length);
  return new Uint8Array(bytes);
}

async function readStream(stream: Readable, what: string): Promise<Uint8Array> {
  return new Uint8Array(await readCappedStream(stream, maxInputBytes, (total) => tooLarge(what, total)));
}

function assertUtf8(bytes: Uint8Array, flag: string): Uint8Array {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new SecretsAgentError(
      'ERR_INPUT_INVALID',
      `${flag}: the content is not UTF-8 text; store raw bytes with --file (a binary secret)`,
      { cause: error },
    );
  }
  return bytes;
}

// `echo pw | secret create --value-file -` means `pw`, as `--value "$(cat f)"` would.
function dropTrailingNewline(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) end -= 1;
  if (end > 0 && end < bytes.length && bytes[end - 1] === 0x0d) end -= 1;
  return bytes.subarray(0, end);
}

function tooLarge(what: string, sizeBytes: number): SecretsAgentError {
  return new SecretsAgentError(
    'ERR_SECRET_TOO_LARGE',
    `${what}: more than ${maxInputBytes} bytes; a secret holds at most 1 MiB - 1 KiB`,
    { details: { sizeBytes } },
  );
}

function flagName(name: string): string {
  return `--${name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}
