// What the interface knows about the logged-in caller: who, whether superuser, and where in the
// secret tree its grants let it look (from `GET /ui/api/session`).
import type { Api } from './api.js';

export type SecretAction = 'create' | 'read' | 'update' | 'delete';

export interface Grant {
  readonly rid: string;
  readonly actions: readonly string[];
}

export interface Session {
  readonly uid: string;
  readonly superuser: boolean;
  readonly grants: readonly Grant[];
  readonly expiresAtMs: number | undefined;
}

export interface SecretScope {
  /** Folders the caller may list ('' is the root). */
  readonly listFolders: readonly string[];
  /** Single secrets granted by exact path. */
  readonly knownPaths: readonly string[];
  /** Paths (`app/*` as `app/`) under which the caller may create secrets; ['' ] for everywhere. */
  readonly createPrefixes: readonly string[];
}

const listRid = /^dcos:secrets:list:default:\/?(.*)$/;
const secretRid = /^dcos:secrets:default:\/?(.*)$/;

export async function loadSession(api: Api, expiresAtMs: number | undefined): Promise<Session> {
  const body = await api.json<{ uid: string; superuser: boolean; grants: Grant[] }>('GET', '/ui/api/session');
  return { uid: body.uid, superuser: body.superuser, grants: body.grants, expiresAtMs };
}

// Where to look and what may be created, from the caller's grants (superuser: everywhere).
export function describeScope(session: Session): SecretScope {
  if (session.superuser) return { listFolders: [''], knownPaths: [], createPrefixes: [''] };
  const listFolders = new Set<string>();
  const knownPaths = new Set<string>();
  const createPrefixes = new Set<string>();
  for (const grant of session.grants) {
    const list = listRid.exec(grant.rid);
    if (list !== null) {
      if (grant.actions.includes('read') || grant.actions.includes('full'))
        listFolders.add(trimSlashes((list[1] ?? '').replace(/\*$/, '')));
      continue;
    }
    const secret = secretRid.exec(grant.rid);
    if (secret === null) continue;
    const path = secret[1] ?? '';
    const canCreate = grant.actions.includes('create') || grant.actions.includes('full');
    if (path === '*' || path.endsWith('/*')) {
      if (canCreate) createPrefixes.add(path === '*' ? '' : `${trimSlashes(path.slice(0, -2))}/`);
    } else if (path !== '') {
      knownPaths.add(trimSlashes(path));
      if (canCreate) createPrefixes.add(trimSlashes(path));
    }
  }
  return {
    listFolders: [...listFolders].sort(),
    knownPaths: [...knownPaths].sort(),
    createPrefixes: [...createPrefixes].sort(),
  };
}

function trimSlashes(text: string): string {
  return text.replace(/^\/+|\/+$/g, '');
}
