// `secret import`: restores a parsed backup document. Without `overwrite`, every target path is
// checked first and the import stops before writing anything if one exists; with it, each entry
// is created or updated (the create-or-update flow of Portworx and dcos-secrets-backup).
import { SecretsAgentError, isSecretsAgentError } from '../../core/errors.js';
import type { SecretInput, SecretsApi } from '../../core/secrets-api.js';
import { backupEntryPath, type BackupDocument, type BackupEntry } from '../../backup/index.js';
import { confinePath } from '../../client/base-path.js';

export interface ImportResult {
  readonly created: readonly string[];
  readonly updated: readonly string[];
}

const maxPathsNamed = 10;

// Writes every entry under `basePath`; returns the store paths created and updated.
export async function importSecrets(
  api: SecretsApi,
  basePath: string,
  document: BackupDocument,
  options: { overwrite: boolean },
): Promise<ImportResult> {
  const targets = document.secrets.map((entry) => ({ entry, path: confinePath(basePath, backupEntryPath(entry)) }));
  if (!options.overwrite) {
    const existing: string[] = [];
    for (const { path } of targets) if (await exists(api, path)) existing.push(path);
    if (existing.length > 0) {
      const named = existing
        .slice(0, maxPathsNamed)
        .map((path) => `\`${path}\``)
        .join(', ');
      const more = existing.length > maxPathsNamed ? ` and ${existing.length - maxPathsNamed} more` : '';
      throw new SecretsAgentError(
        'ERR_SECRET_EXISTS',
        `${existing.length} ${existing.length === 1 ? 'secret already exists' : 'secrets already exist'}: ${named}${more}; nothing was imported (pass --overwrite to replace them)`,
        {
          details: { paths: existing },
        },
      );
    }
  }
  const created: string[] = [];
  const updated: string[] = [];
  for (const { entry, path } of targets) {
    const input = toInput(entry);
    try {
      await api.createSecret(path, input);
      created.push(path);
      continue;
    } catch (error) {
      if (!options.overwrite || !isSecretsAgentError(error, 'ERR_SECRET_EXISTS'))
        throw withProgress(error, created, updated);
    }
    try {
      await api.updateSecret(path, input);
      updated.push(path);
    } catch (error) {
      throw withProgress(error, created, updated);
    }
  }
  return { created, updated };
}

async function exists(api: SecretsApi, path: string): Promise<boolean> {
  try {
    await api.getSecret(path);
    return true;
  } catch (error) {
    if (isSecretsAgentError(error, 'ERR_SECRET_NOT_FOUND')) return false;
    throw error;
  }
}

function toInput(entry: BackupEntry): SecretInput {
  return {
    type: entry.type,
    bytes: entry.bytes,
    ...(entry.description === undefined ? {} : { description: entry.description }),
    ...(entry.labels === undefined ? {} : { labels: entry.labels }),
  };
}

// A failure part-way (the store went away, a race created a path) says how far the import got.
function withProgress(error: unknown, created: readonly string[], updated: readonly string[]): unknown {
  if (!isSecretsAgentError(error) || created.length + updated.length === 0) return error;
  return new SecretsAgentError(
    error.code,
    `${error.message} (after ${created.length} created and ${updated.length} updated; run the import again with --overwrite to finish)`,
    {
      ...(error.details === undefined ? {} : { details: error.details }),
      cause: error,
    },
  );
}
