// The DC/OS service-account credential JSON written by `--credential-out FILE`: mode 0600 from the
// first byte, complete or absent, never replacing an existing file (core/durable-write.ts, create-only),
// and the parent directory fsynced. The parent directory's own mode is left alone.
import { constants } from 'node:fs';
import { access, rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { writeFileDurably } from '../core/durable-write.js';
import { SecretsAgentError } from '../core/errors.js';
import type { ServiceAccountCredential } from '../store/iam/bootstrap.js';

// Fails at once (before any account exists) when FILE exists or its directory is not writable.
export async function probeCredentialOut(file: string): Promise<void> {
  const exists = await stat(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw cannotWrite(file, error);
    },
  );
  if (exists)
    throw new SecretsAgentError(
      'ERR_USAGE',
      `--credential-out ${file} already exists; it may hold another account's key: remove it or name a new file`,
      { details: { file } },
    );
  await access(dirname(file), constants.W_OK | constants.X_OK).catch((error: NodeJS.ErrnoException) => {
    throw cannotWrite(file, error);
  });
}

// Writes the credential; never replaces an existing file.
export async function writeCredentialFile(file: string, credential: ServiceAccountCredential): Promise<void> {
  const content = `${JSON.stringify({ login_endpoint: credential.login_endpoint, private_key: credential.private_key, scheme: credential.scheme, uid: credential.uid }, null, 2)}\n`;
  try {
    await writeFileDurably(dirname(file), basename(file), content, { createOnly: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new SecretsAgentError(
        'ERR_USAGE',
        `--credential-out ${file} already exists; remove it or name a new file`,
        { details: { file } },
      );
    throw cannotWrite(file, error as NodeJS.ErrnoException);
  }
}

// Removes a credential written for an account that could not be created after all.
export async function removeCredentialFile(file: string): Promise<void> {
  await rm(file, { force: true });
}

function cannotWrite(file: string, error: NodeJS.ErrnoException): SecretsAgentError {
  return new SecretsAgentError(
    'ERR_CONFIG_INVALID',
    `--credential-out ${file}: cannot write (${error.code ?? 'error'})`,
    { details: { file }, cause: error },
  );
}
