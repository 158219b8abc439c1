// Secret grants of one account or group: what it holds (with revoke), and a form granting actions
// on a path (`dcos:secrets:default:/path` or `/path/*` for everything below) plus, optionally, listing it.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, describeError, type Api } from './api.js';
import { iamUrls, type GrantHolder } from './iam-urls.js';

const actionNames = ['read', 'create', 'update', 'delete', 'full'] as const;

interface HeldGrant {
  readonly rid: string;
  readonly actions: readonly string[];
}

// A group's grants (its permissions answer); an account's own grants: its permissions answer when
// the store has one, else every ACL asked in turn.
async function loadGrants(api: Api, holder: GrantHolder): Promise<HeldGrant[]> {
  if (holder.kind === 'group') {
    const answer = await api.json<{ array: { rid: string; actions: { name: string }[] }[] }>(
      'GET',
      iamUrls.groupPermissions(holder.id),
    );
    return answer.array.map((grant) => ({ rid: grant.rid, actions: grant.actions.map((action) => action.name) }));
  }
  const uid = holder.id;
  try {
    const answer = await api.json<{ direct?: { rid: string; actions: { name: string }[] }[] }>(
      'GET',
      iamUrls.userPermissions(uid),
    );
    if (Array.isArray(answer.direct))
      return answer.direct.map((grant) => ({ rid: grant.rid, actions: grant.actions.map((action) => action.name) }));
  } catch {
    // Not offered by this store: fall back to the ACL list.
  }
  const acls = (await api.json<{ array: { rid: string }[] }>('GET', iamUrls.acls())).array;
  const held: HeldGrant[] = [];
  for (const acl of acls) {
    const answer = await api.json<{ actions: { name: string }[] }>('GET', iamUrls.aclUser(acl.rid, uid));
    if (answer.actions.length > 0) held.push({ rid: acl.rid, actions: answer.actions.map((action) => action.name) });
  }
  return held;
}

export function GrantsPanel(props: { api: Api; accounts: readonly string[]; groups: readonly string[] }) {
  const { api } = props;
  // `account:<uid>` or `group:<gid>`, as the select's value.
  const [choice, setChoice] = useState('');
  const holder = parseChoice(choice);
  const who = holder === undefined ? '' : holder.kind === 'group' ? `group ${holder.id}` : holder.id;
  const [grants, setGrants] = useState<readonly HeldGrant[]>([]);
  const [path, setPath] = useState('');
  const [below, setBelow] = useState(true);
  const [listing, setListing] = useState(true);
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set(['read']));
  const [error, setError] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState<string | undefined>(undefined);

  const reload = useCallback(async () => {
    const current = parseChoice(choice);
    if (current === undefined) return;
    try {
      setGrants(await loadGrants(api, current));
    } catch (failure) {
      setError(describeError(failure));
    }
  }, [api, choice]);

  useEffect(() => {
    setGrants([]);
    void reload();
  }, [reload]);

  const folder = path.trim().replace(/^\/+|\/+$/g, '');
  const secretRid = below
    ? `dcos:secrets:default:/${folder === '' ? '' : `${folder}/`}*`
    : `dcos:secrets:default:/${folder}`;
  const listRid = `dcos:secrets:list:default:/${folder}`;

  const grant = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (holder === undefined) return;
    setError(undefined);
    setStatus(undefined);
    try {
      const wanted: { rid: string; action: string }[] = [...chosen].map((action) => ({ rid: secretRid, action }));
      if (listing) wanted.push({ rid: listRid, action: 'read' });
      for (const { rid, action } of wanted) {
        await ensureAcl(api, rid);
        await api.request('PUT', iamUrls.grant(rid, holder, action));
      }
      setStatus(`Granted ${wanted.map((entry) => `${entry.rid} ${entry.action}`).join(', ')} to ${who}.`);
      await reload();
    } catch (failure) {
      setError(describeError(failure));
    }
  };

  const revoke = async (rid: string, action: string): Promise<void> => {
    if (holder === undefined) return;
    setError(undefined);
    try {
      await api.request('DELETE', iamUrls.grant(rid, holder, action));
      setStatus(`Revoked ${rid} ${action} from ${who}.`);
      await reload();
    } catch (failure) {
      setError(describeError(failure));
    }
  };

  return (
    <section class="card grants" aria-labelledby="grants-title">
      <h2 id="grants-title">Grants</h2>
      <label>
        {props.groups.length === 0 ? 'Account' : 'Account or group'}
        <select value={choice} onChange={(e) => setChoice(e.currentTarget.value)}>
          <option value="">Choose…</option>
          {props.accounts.map((account) => (
            <option key={`account:${account}`} value={`account:${account}`}>
              {account}
            </option>
          ))}
          {props.groups.map((group) => (
            <option key={`group:${group}`} value={`group:${group}`}>
              group {group}
            </option>
          ))}
        </select>
      </label>
      {error === undefined ? null : (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {status === undefined ? null : (
        <p class="notice" role="status">
          {status}
        </p>
      )}
      {holder === undefined ? null : (
        <>
          {grants.length === 0 ? (
            <p class="muted">{who} holds no grants.</p>
          ) : (
            <ul class="names">
              {grants.flatMap((held) =>
                held.actions.map((action) => (
                  <li key={`${held.rid} ${action}`}>
                    <code>{held.rid}</code> <strong>{action}</strong>{' '}
                    <button
                      type="button"
                      class="danger small"
                      aria-label={`Revoke ${action} on ${held.rid} from ${who}`}
                      onClick={() => void revoke(held.rid, action)}
                    >
                      Revoke
                    </button>
                  </li>
                )),
              )}
            </ul>
          )}
          <form class="small-form" aria-label="Grant" onSubmit={(e) => void grant(e)}>
            <h3>Grant on a path</h3>
            <label>
              Path (folder or secret; empty for all)
              <input
                name="grant-path"
                value={path}
                spellcheck={false}
                onInput={(e) => setPath(e.currentTarget.value)}
              />
            </label>
            <label class="inline">
              <input type="checkbox" checked={below} onChange={(e) => setBelow(e.currentTarget.checked)} /> Everything
              below it (<code>/*</code>)
            </label>
            <fieldset>
              <legend>Actions</legend>
              {actionNames.map((action) => (
                <label class="inline" key={action}>
                  <input
                    type="checkbox"
                    checked={chosen.has(action)}
                    onChange={(e) => {
                      const next = new Set(chosen);
                      if (e.currentTarget.checked) next.add(action);
                      else next.delete(action);
                      setChosen(next);
                    }}
                  />{' '}
                  {action}
                </label>
              ))}
            </fieldset>
            <label class="inline">
              <input type="checkbox" checked={listing} onChange={(e) => setListing(e.currentTarget.checked)} /> Also
              allow listing it
            </label>
            <p class="hint">
              Grants <code>{secretRid}</code>
              {listing ? (
                <>
                  {' '}
                  and <code>{listRid}</code> read
                </>
              ) : null}
            </p>
            <button type="submit" disabled={chosen.size === 0 && !listing}>
              Grant
            </button>
          </form>
        </>
      )}
    </section>
  );
}

function parseChoice(choice: string): GrantHolder | undefined {
  if (choice.startsWith('account:')) return { kind: 'account', id: choice.slice('account:'.length) };
  if (choice.startsWith('group:')) return { kind: 'group', id: choice.slice('group:'.length) };
  return undefined;
}

// Grants need their ACL; an existing one (409) is fine.
async function ensureAcl(api: Api, rid: string): Promise<void> {
  try {
    await api.request('PUT', iamUrls.acl(rid), { json: { description: 'created by the web interface' } });
  } catch (failure) {
    if (!(failure instanceof ApiError && failure.status === 409)) throw failure;
  }
}
