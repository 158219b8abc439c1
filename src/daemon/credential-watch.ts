// Picks up a rotated service-account credential file: the file's directory is watched (so an
// atomic replace is seen), the new file is read and validated, and only a valid, different
// credential replaces the one in use. An invalid file is logged and the old credential kept.
import { basename, dirname } from 'node:path';
import { resolveAuthMethod } from '../auth/auth-method.js';
import type { Logger } from '../core/log.js';
import { watchDirectory, type DirectoryWatch } from '../watch/index.js';
import type { RotatingTokens } from './rotating-tokens.js';

export interface CredentialWatchOptions {
  readonly file: string;
  readonly tokens: RotatingTokens;
  readonly debounceMs: number;
  readonly log: Logger;
}

// Watches `file`; returns the watch (close it on stop).
export function watchCredentialFile(options: CredentialWatchOptions): DirectoryWatch {
  const { file, tokens, log } = options;
  const name = basename(file);
  let current = readFingerprint(file);
  return watchDirectory({
    dir: dirname(file),
    accept: (changed) => changed === name,
    debounceMs: options.debounceMs,
    log,
    onChange() {
      let method;
      try {
        method = resolveAuthMethod({ credentialFile: file });
      } catch (error) {
        log.error({ err: error, file }, 'rotated credential file is invalid; keeping the credential in use');
        return;
      }
      if (method === undefined || method.kind !== 'service-account') return;
      const next = JSON.stringify([method.credential.uid, method.credential.private_key]);
      if (next === current) return;
      current = next;
      tokens.replace(method);
      log.info({ file, uid: method.credential.uid }, 'service-account credential reloaded');
    },
  });
}

function readFingerprint(file: string): string | undefined {
  try {
    const method = resolveAuthMethod({ credentialFile: file });
    return method?.kind === 'service-account'
      ? JSON.stringify([method.credential.uid, method.credential.private_key])
      : undefined;
  } catch {
    return undefined;
  }
}
