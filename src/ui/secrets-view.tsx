// The Secrets tab: the tree of what the caller may list (or was granted by path), a search box,
// and the selected secret's panel or the create form. Controls follow the caller's permissions,
// as the store decides them (`GET /ui/api/access`).
import { useCallback, useEffect, useState } from 'preact/hooks';
import { describeError, listUrl, type Api } from './api.js';
import { SecretDetail } from './secret-detail.js';
import { SecretForm } from './secret-form.js';
import { SecretTree } from './secret-tree.js';
import { describeScope, type SecretAction, type Session } from './session.js';

const allActions: readonly SecretAction[] = ['create', 'read', 'update', 'delete'];
const accessBatch = 200;

type Panel = { kind: 'none' } | { kind: 'create' } | { kind: 'secret'; path: string };

export function SecretsView(props: { api: Api; session: Session }) {
  const { api, session } = props;
  const scope = describeScope(session);
  const [paths, setPaths] = useState<readonly string[]>([]);
  const [actions, setActions] = useState<ReadonlyMap<string, readonly SecretAction[]>>(new Map());
  const [problems, setProblems] = useState<readonly string[]>([]);
  const [filter, setFilter] = useState('');
  const [panel, setPanel] = useState<Panel>({ kind: 'none' });
  const [message, setMessage] = useState<string | undefined>(undefined);
  const [loading, setLoading] = useState(true);

  const reload = useCallback(async () => {
    setLoading(true);
    const found = new Set<string>(scope.knownPaths);
    const failures: string[] = [];
    for (const folder of scope.listFolders) {
      try {
        const answer = await api.json<{ array: string[] }>('GET', listUrl(folder));
        for (const key of answer.array) found.add(folder === '' ? key : `${folder}/${key}`);
      } catch (error) {
        failures.push(`Listing ${folder === '' ? 'all secrets' : `${folder}/`}: ${describeError(error)}`);
      }
    }
    const sorted = [...found].sort();
    const allowed = new Map<string, readonly SecretAction[]>();
    if (session.superuser) {
      for (const path of sorted) allowed.set(path, allActions);
    } else {
      for (let start = 0; start < sorted.length; start += accessBatch) {
        const query = sorted
          .slice(start, start + accessBatch)
          .map((path) => `path=${encodeURIComponent(path)}`)
          .join('&');
        try {
          const answer = await api.json<{ array: { path: string; actions: SecretAction[] }[] }>(
            'GET',
            `/ui/api/access?${query}`,
          );
          for (const entry of answer.array) allowed.set(entry.path, entry.actions);
        } catch (error) {
          failures.push(`Checking permissions: ${describeError(error)}`);
        }
      }
    }
    setPaths(sorted);
    setActions(allowed);
    setProblems(failures);
    setLoading(false);
    // `scope` is derived from `session`: it changes only with it.
  }, [api, session]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const needle = filter.trim().toLowerCase();
  const shown = needle === '' ? paths : paths.filter((path) => path.toLowerCase().includes(needle));
  const canCreate = scope.createPrefixes.length > 0;

  const afterChange = (text: string, next: Panel): void => {
    setMessage(text);
    setPanel(next);
    void reload();
  };

  return (
    <main class="secrets">
      <section class="list-pane" aria-label="Secrets list">
        <div class="toolbar">
          <h1>Secrets</h1>
          {canCreate ? (
            <button
              type="button"
              onClick={() => {
                setMessage(undefined);
                setPanel({ kind: 'create' });
              }}
            >
              + New secret
            </button>
          ) : null}
        </div>
        <label class="search">
          Search
          <input
            type="search"
            value={filter}
            onInput={(e) => setFilter(e.currentTarget.value)}
            placeholder="path contains…"
          />
        </label>
        {problems.map((problem) => (
          <p class="error" role="alert" key={problem}>
            {problem}
          </p>
        ))}
        {loading && paths.length === 0 ? <p class="muted">Loading…</p> : null}
        <SecretTree
          paths={shown}
          selected={panel.kind === 'secret' ? panel.path : undefined}
          onSelect={(path) => {
            setMessage(undefined);
            setPanel({ kind: 'secret', path });
          }}
        />
      </section>
      <section class="detail-pane" aria-label="Secret details">
        {message === undefined ? null : (
          <p class="notice" role="status">
            {message}
          </p>
        )}
        {panel.kind === 'create' ? (
          <SecretForm
            api={api}
            mode={{ kind: 'create', prefixes: scope.createPrefixes }}
            onDone={(path) => afterChange(`Created secret ${path}.`, { kind: 'secret', path })}
            onCancel={() => setPanel({ kind: 'none' })}
          />
        ) : panel.kind === 'secret' ? (
          <SecretDetail
            key={panel.path}
            api={api}
            path={panel.path}
            actions={actions.get(panel.path) ?? []}
            onUpdated={() => afterChange(`Updated secret ${panel.path}.`, panel)}
            onDeleted={() => afterChange(`Deleted secret ${panel.path}.`, { kind: 'none' })}
          />
        ) : (
          <p class="muted">Select a secret{canCreate ? ', or create one' : ''}.</p>
        )}
      </section>
    </main>
  );
}
