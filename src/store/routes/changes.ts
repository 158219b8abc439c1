// `GET /secrets/v1/changes/{store}?index=N&wait=60s[&path=PREFIX]`: the change feed as a long
// poll (issue 6, "Rotation"). Answers `{"index","paths","reset"}`. A caller sees a changed path
// when it may list the folder holding it (`dcos:secrets:list:<store>:/<folder>` read, as a
// listing would need) or read the secret itself; with `path=PREFIX`, list permission on PREFIX
// covers everything below it. Paths only, never values.
import { isSecretsAgentError } from '../../core/errors.js';
import type { ChangeFeed } from '../changes/change-feed.js';
import { parseWaitMs } from '../changes/wait-duration.js';
import type { AccessControl, Principal } from '../http/access.js';
import { sendJson } from '../http/respond.js';
import type { Route, RouteContext } from '../http/router.js';
import type { SecretStore } from '../secret-store.js';
import { parseSecretPath } from '../secret-path.js';
import { resolveStore } from './store-name.js';

export const changesPattern = '/secrets/v1/changes/:store';
const noStore = { 'cache-control': 'no-store' };

export interface ChangeRoutesOptions {
  readonly store: SecretStore;
  readonly feed: ChangeFeed;
  /** The server's access control: the caller is authenticated again when an answer is made. */
  readonly access: AccessControl;
}

// The change feed route of one store.
export function createChangeRoutes(options: ChangeRoutesOptions): Route[] {
  const { store, feed, access } = options;

  async function handleChanges(context: RouteContext): Promise<void> {
    await context.principal();
    const { name, seal } = resolveStore(store, context.params['store']);
    seal.requireKeyring();
    const query = context.url.searchParams;
    const waitMs = parseWaitMs(query.get('wait'));
    const prefix = parseSecretPath(query.get('path') ?? '', { allowRoot: true, allowTrailingSlash: true });
    const index = query.get('index') ?? undefined;

    // Decided when the answer is made, not when the poll started: the caller's token may have
    // expired or its account been deleted or re-granted while it waited. A token no longer valid
    // makes the poll fail with 401 without moving the index, so the client re-logs in and asks again
    // from the same index instead of losing the changes this principal could not see.
    const visible = async (paths: readonly string[]): Promise<readonly string[]> => {
      const who = await access.authenticate({
        authorization: context.req.headers.authorization,
        cookie: context.req.headers.cookie,
      });
      if (who.superuser || (prefix !== '' && (await allowed(access, who, `dcos:secrets:list:${name}:/${prefix}`))))
        return paths;
      const shown: string[] = [];
      for (const path of paths) {
        if (
          (await allowed(access, who, `dcos:secrets:list:${name}:/${folderOf(path)}`)) ||
          (await allowed(access, who, `dcos:secrets:${name}:/${path}`))
        )
          shown.push(path);
      }
      return shown;
    };

    // The client going away ends the wait (and frees its waiter) at once.
    const gone = new AbortController();
    const onClose = (): void => {
      if (!context.res.writableFinished) gone.abort();
    };
    context.res.once('close', onClose);
    try {
      const answer = await feed.poll({ index, prefix, waitMs, signal: gone.signal, visible });
      if (gone.signal.aborted) return;
      // Sealed while we waited: the same answer as any secret call on a sealed store.
      seal.requireKeyring();
      // The server is stopping: do not keep the connection alive for another request.
      const headers = feed.closed ? { ...noStore, connection: 'close' } : noStore;
      sendJson(context.res, 200, { index: answer.index, paths: answer.paths, reset: answer.reset }, headers);
    } catch (error) {
      if (gone.signal.aborted) return;
      throw error;
    } finally {
      context.res.off('close', onClose);
    }
  }

  return [{ method: 'GET', pattern: changesPattern, handler: handleChanges }];
}

async function allowed(access: AccessControl, principal: Principal, rid: string): Promise<boolean> {
  try {
    await access.authorize(principal, rid, 'read');
    return true;
  } catch (error) {
    if (isSecretsAgentError(error, 'ERR_FORBIDDEN')) return false;
    throw error;
  }
}

function folderOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}
