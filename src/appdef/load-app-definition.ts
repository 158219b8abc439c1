// Reads an app or pod definition file: the only I/O in src/appdef.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { SecretsAgentError } from '../core/errors.js';
import { quoteText } from './describe-json.js';
import { parseAppDefinitionText, type ParseAppDefinitionOptions } from './parse-app-definition.js';
import type { AppDefinition } from './types.js';

/** Marathon definitions are a few KiB; anything this large is not one. */
export const defaultMaxDefinitionBytes = 1024 * 1024;

export interface LoadAppDefinitionOptions extends Omit<ParseAppDefinitionOptions, 'source'> {
  maxBytes?: number;
}

// Reads `file` (UTF-8 JSON) and parses it; ERR_USAGE when unreadable, ERR_INPUT_INVALID when not JSON.
export async function loadAppDefinition(file: string, options: LoadAppDefinitionOptions = {}): Promise<AppDefinition> {
  const maxBytes = options.maxBytes ?? defaultMaxDefinitionBytes;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `Expected \`maxBytes\` to be a positive integer, got \`${String(maxBytes)}\` (${typeof maxBytes})`,
      {
        details: { option: 'maxBytes' },
      },
    );
  }
  const bytes = readDefinitionBytes(file, maxBytes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SecretsAgentError('ERR_INPUT_INVALID', `App definition ${quoteText(file)} is not valid UTF-8`, {
      details: { file },
    });
  }
  return parseAppDefinitionText(text, {
    ...(options.optional === undefined ? {} : { optional: options.optional }),
    source: file,
  });
}

// Synchronous: a definition is a few KiB (at most maxBytes) on a local disk, read once per `run`
// before anything else can happen; async reads would start libuv's thread pool, which `run`'s
// common path otherwise never needs (about 2 ms of its start-up), and the daemon reads a file only
// when it changes. One descriptor for the checks and the read, so both see the same file.
function readDefinitionBytes(file: string, maxBytes: number): Uint8Array {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const info = fstatSync(fd);
    if (!info.isFile()) throw unreadable(file, 'it is not a regular file', undefined);
    if (info.size > maxBytes) throw tooLarge(file, info.size, maxBytes);
    // Reads to the end, one byte past the cap at most: a file that grew since fstat is read whole
    // or refused, never cut short.
    let bytes = Buffer.allocUnsafe(Math.min(maxBytes, info.size) + 1);
    let filled = 0;
    for (;;) {
      if (filled === bytes.length) {
        if (filled > maxBytes) throw tooLarge(file, filled, maxBytes);
        const grown = Buffer.allocUnsafe(Math.min(maxBytes + 1, bytes.length * 2));
        bytes.copy(grown, 0, 0, filled);
        bytes = grown;
      }
      const count = readSync(fd, bytes, filled, bytes.length - filled, null);
      if (count === 0) break;
      filled += count;
    }
    if (filled > maxBytes) throw tooLarge(file, filled, maxBytes);
    return bytes.subarray(0, filled);
  } catch (error) {
    if (error instanceof SecretsAgentError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw unreadable(file, code === 'ENOENT' ? 'it does not exist' : `${code ?? 'read error'}`, error);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function tooLarge(file: string, size: number, maxBytes: number): SecretsAgentError {
  return new SecretsAgentError(
    'ERR_INPUT_INVALID',
    `App definition ${quoteText(file)} has ${size} bytes, more than ${maxBytes}`,
    {
      details: { file, maxBytes },
    },
  );
}

function unreadable(file: string, reason: string, cause: unknown): SecretsAgentError {
  return new SecretsAgentError('ERR_USAGE', `Cannot read app definition ${quoteText(file)}: ${reason}`, {
    details: { file },
    ...(cause === undefined ? {} : { cause }),
  });
}
