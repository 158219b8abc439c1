// Reads an app or pod definition file: the only I/O in src/appdef.
import { readFile, stat } from 'node:fs/promises';
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
  const bytes = await readDefinitionBytes(file, maxBytes);
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

async function readDefinitionBytes(file: string, maxBytes: number): Promise<Uint8Array> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw unreadable(file, 'it is not a regular file', undefined);
    if (info.size > maxBytes) throw tooLarge(file, info.size, maxBytes);
    const bytes = await readFile(file);
    // The file may have grown since stat.
    if (bytes.length > maxBytes) throw tooLarge(file, bytes.length, maxBytes);
    return bytes;
  } catch (error) {
    if (error instanceof SecretsAgentError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw unreadable(file, code === 'ENOENT' ? 'it does not exist' : `${code ?? 'read error'}`, error);
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
