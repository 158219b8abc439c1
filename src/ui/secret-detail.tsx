// One secret: its metadata, its value only after an explicit click (masked until then: the
// metadata read carries the value too, and only the metadata is kept), copy, download for binary
// secrets, edit, and delete with confirmation.
import { useEffect, useState } from 'preact/hooks';
import { describeError, secretUrl, type Api } from './api.js';
import { saveFile } from './save-file.js';
import { fetchSecret, type SecretMetadata } from './read-secret.js';
import { SecretForm } from './secret-form.js';
import type { SecretAction } from './session.js';

export function SecretDetail(props: {
  api: Api;
  path: string;
  actions: readonly SecretAction[];
  onUpdated(): void;
  onDeleted(): void;
}) {
  const { api, path } = props;
  const can = (action: SecretAction): boolean => props.actions.includes(action);
  const [meta, setMeta] = useState<SecretMetadata | undefined>(undefined);
  const [value, setValue] = useState<string | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState<string | undefined>(undefined);
  const [editing, setEditing] = useState(false);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  // Bumped after an edit: the metadata is read again.
  const [revision, setRevision] = useState(0);

  const canRead = can('read');
  useEffect(() => {
    if (!canRead) return;
    // The value comes along with the metadata; only the metadata is kept.
    fetchSecret(api, path).then(
      (answer) => setMeta(answer.meta),
      (failure: unknown) => setError(describeError(failure)),
    );
  }, [api, path, canRead, revision]);

  const run = async (work: () => Promise<void>): Promise<void> => {
    setError(undefined);
    setStatus(undefined);
    try {
      await work();
    } catch (failure) {
      setError(describeError(failure));
    }
  };

  const reveal = () =>
    run(async () => {
      const answer = await fetchSecret(api, path);
      setMeta(answer.meta);
      setValue(answer.value ?? '');
    });
  const copy = () =>
    run(async () => {
      await navigator.clipboard.writeText(value ?? '');
      setStatus('Copied to the clipboard.');
    });
  const download = () =>
    run(async () => {
      const response = await api.request('GET', secretUrl(path), { accept: 'application/octet-stream' });
      saveFile(await response.blob(), path.split('/').at(-1) ?? 'secret');
      setStatus('Download started.');
    });
  const remove = () =>
    run(async () => {
      await api.request('DELETE', secretUrl(path));
      props.onDeleted();
    });

  if (editing)
    return (
      <SecretForm
        api={api}
        mode={{ kind: 'edit', path, ...(meta === undefined ? {} : { meta }), canRead: can('read') }}
        onDone={() => {
          setEditing(false);
          setValue(undefined);
          setRevision(revision + 1);
          props.onUpdated();
        }}
        onCancel={() => setEditing(false)}
      />
    );

  return (
    <article class="card secret" aria-labelledby="secret-title">
      <h2 id="secret-title" tabIndex={-1}>
        {path}
      </h2>
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
      {!can('read') ? <p class="muted">You may not read this secret.</p> : null}
      {meta === undefined ? null : (
        <dl class="meta">
          <dt>Type</dt>
          <dd>{meta.type === 'binary' ? `file (binary, ${meta.sizeBytes ?? 0} bytes)` : 'text'}</dd>
          {meta.description === undefined ? null : (
            <>
              <dt>Description</dt>
              <dd class="description">{meta.description}</dd>
            </>
          )}
          {meta.labels === undefined || meta.labels.length === 0 ? null : (
            <>
              <dt>Labels</dt>
              <dd>{meta.labels.join(', ')}</dd>
            </>
          )}
          {meta.author === undefined ? null : (
            <>
              <dt>Author</dt>
              <dd>{meta.author}</dd>
            </>
          )}
          {meta.created === undefined ? null : (
            <>
              <dt>Created</dt>
              <dd>{meta.created}</dd>
            </>
          )}
          {meta.updated === undefined ? null : (
            <>
              <dt>Updated</dt>
              <dd>{meta.updated}</dd>
            </>
          )}
          {meta.type === 'text' ? (
            <>
              <dt>Value</dt>
              <dd>
                {value === undefined ? (
                  <span class="masked" aria-label="Value hidden">
                    ••••••••
                  </span>
                ) : (
                  <pre class="value" aria-label="Secret value">
                    {value}
                  </pre>
                )}
              </dd>
            </>
          ) : null}
        </dl>
      )}
      <div class="actions">
        {meta?.type === 'text' && value === undefined ? (
          <button type="button" onClick={() => void reveal()}>
            Reveal value
          </button>
        ) : null}
        {value === undefined ? null : (
          <>
            <button type="button" onClick={() => void copy()}>
              Copy value
            </button>
            <button type="button" onClick={() => setValue(undefined)}>
              Hide value
            </button>
          </>
        )}
        {meta?.type === 'binary' ? (
          <button type="button" onClick={() => void download()}>
            Download file
          </button>
        ) : null}
        {can('update') && (meta !== undefined || !can('read')) ? (
          <button type="button" onClick={() => setEditing(true)}>
            Edit
          </button>
        ) : null}
        {can('delete') && !confirmingDelete ? (
          <button type="button" class="danger" onClick={() => setConfirmingDelete(true)}>
            Delete
          </button>
        ) : null}
      </div>
      {confirmingDelete ? (
        <div class="confirm" role="group" aria-label="Confirm deletion">
          <p>
            Delete secret <strong>{path}</strong>? This cannot be undone.
          </p>
          <button type="button" class="danger" onClick={() => void remove()}>
            Delete permanently
          </button>
          <button type="button" onClick={() => setConfirmingDelete(false)}>
            Cancel
          </button>
        </div>
      ) : null}
    </article>
  );
}
