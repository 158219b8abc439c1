// The session `secrets-agent login` leaves behind (issue 4): the store URL, the auth token, the
// base path secret commands resolve under (`login --base-path`), and
// the service-account credential when one was used (so later commands can log in again), in
// `<stateDir>/session.json`, mode 0600 in a 0700 directory. A password is never saved.
import { join } from 'node:path';
import { SecretsAgentError } from '../core/errors.js';
import { parseServiceAccountCredential, type ServiceAccountCredential } from './credential.js';
import { writePrivateFileAtomic } from './private-file.js';
import { fileReadError } from '../core/file-read-error.js';
import { loadFsPromises } from '../core/lazy-builtins.js';

/** The session file's name inside the state directory. */
export const sessionFileName = 'session.json';
const sessionVersion = 1;
const maxSessionBytes = 128 * 1024;

/** What `secrets-agent login` saves: the store URL, the token and what is needed to renew it. */
export interface Session {
  readonly url: string;
  readonly token: string;
  readonly credential?: ServiceAccountCredential;
  /** The CA bundle the login used, so later commands verify the same way. */
  readonly caFile?: string;
  /** Folder that `secret` commands resolve paths under (`login --base-path`). */
  readonly basePath?: string;
  /** ISO 8601. */
  readonly savedAt: string;
}

/** What `saveSession` writes, and where. */
export interface SaveSessionOptions {
  readonly stateDir: string;
  readonly url: string;
  readonly token: string;
  readonly credential?: ServiceAccountCredential;
  readonly caFile?: string;
  readonly basePath?: string;
  /** Default now. */
  readonly savedAt?: Date;
}

/**
 * Writes the session atomically; returns the file path.
 *
 * @example
 * ```ts
 * import { createSecretsClient, defaultStateDir, loadSession, saveSession } from 'secrets-agent';
 *
 * const stateDir = defaultStateDir();
 * const client = createSecretsClient({ url: 'https://master.mesos', username: 'alice', password: 'from-a-prompt' });
 * await saveSession({ stateDir, url: 'https://master.mesos', token: await client.getToken() });
 * const session = await loadSession(stateDir); // later: reuse the token
 * if (session !== undefined) createSecretsClient({ url: session.url, token: session.token });
 * ```
 */
export async function saveSession(options: SaveSessionOptions): Promise<string> {
  if (typeof options.url !== 'string' || options.url === '')
    throw new SecretsAgentError('ERR_USAGE', 'Expected `url` to be a non-empty string');
  if (typeof options.token !== 'string' || options.token === '')
    throw new SecretsAgentError('ERR_USAGE', 'Expected `token` to be a non-empty string');
  const file = join(options.stateDir, sessionFileName);
  const document = {
    version: sessionVersion,
    url: options.url,
    token: options.token,
    ...(options.credential === undefined ? {} : { credential: options.credential }),
    ...(options.caFile === undefined ? {} : { caFile: options.caFile }),
    ...(options.basePath === undefined || options.basePath === '' ? {} : { basePath: options.basePath }),
    savedAt: (options.savedAt ?? new Date()).toISOString(),
  };
  await writePrivateFileAtomic(file, `${JSON.stringify(document, null, 2)}\n`);
  return file;
}

/**
 * Reads the session, or undefined when there is none. Refuses a file others can read (it holds a
 * token, like ssh refuses a loose private key) and names the field of a malformed one.
 */
export async function loadSession(stateDir: string): Promise<Session | undefined> {
  const file = join(stateDir, sessionFileName);
  let text: string;
  try {
    const stats = await loadFsPromises().stat(file);
    if ((stats.mode & 0o077) !== 0) {
      throw new SecretsAgentError(
        'ERR_CONFIG_INVALID',
        `${file} has mode 0${(stats.mode & 0o777).toString(8)}; it holds a token and must not be readable by others (chmod 600, or log in again)`,
        {
          details: { file },
        },
      );
    }
    if (stats.size > maxSessionBytes) throw invalid(file, '', `is larger than ${maxSessionBytes} bytes`);
    text = await loadFsPromises().readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof SecretsAgentError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileReadError('ERR_CONFIG_INVALID', file, error, { file });
  }
  return parseSession(text, file);
}

/** Removes the session (logout). True when there was one. */
export async function clearSession(stateDir: string): Promise<boolean> {
  const file = join(stateDir, sessionFileName);
  try {
    await loadFsPromises().stat(file);
  } catch {
    return false;
  }
  await loadFsPromises().rm(file, { force: true });
  return true;
}

function parseSession(text: string, file: string): Session {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid(file, '', 'is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(file, '', 'must be a JSON object');
  const { version, url, token, credential, caFile, basePath, savedAt } = value as Record<string, unknown>;
  if (version !== sessionVersion) throw invalid(file, '/version', `must be ${sessionVersion}`);
  if (typeof url !== 'string' || url === '') throw invalid(file, '/url', 'must be a non-empty string');
  if (typeof token !== 'string' || token === '') throw invalid(file, '/token', 'must be a non-empty string');
  if (caFile !== undefined && (typeof caFile !== 'string' || caFile === ''))
    throw invalid(file, '/caFile', 'must be a non-empty string');
  if (basePath !== undefined && (typeof basePath !== 'string' || basePath === ''))
    throw invalid(file, '/basePath', 'must be a non-empty string');
  if (typeof savedAt !== 'string' || Number.isNaN(Date.parse(savedAt)))
    throw invalid(file, '/savedAt', 'must be an ISO 8601 time');
  return {
    url,
    token,
    ...(credential === undefined
      ? {}
      : { credential: parseServiceAccountCredential(credential, `${file} /credential`) }),
    ...(caFile === undefined ? {} : { caFile: caFile as string }),
    ...(basePath === undefined ? {} : { basePath: basePath as string }),
    savedAt,
  };
}

function invalid(file: string, pointer: string, problem: string): SecretsAgentError {
  return new SecretsAgentError(
    'ERR_CONFIG_INVALID',
    `session file ${file}: ${pointer === '' ? 'the document' : pointer} ${problem}`,
    { details: { file, pointer } },
  );
}
