// Create a secret (ID + text value, or an uploaded file stored as a binary secret) or edit one.
// An edit that keeps the text value sends the current value back (PATCH replaces the record).
import { useState } from 'preact/hooks';
import { describeError, secretUrl, type Api } from './api.js';
import { fetchSecret, type SecretMetadata } from './read-secret.js';

export type SecretFormMode =
  | { readonly kind: 'create'; readonly prefixes: readonly string[] }
  | { readonly kind: 'edit'; readonly path: string; readonly meta?: SecretMetadata; readonly canRead: boolean };

export function SecretForm(props: { api: Api; mode: SecretFormMode; onDone(path: string): void; onCancel(): void }) {
  const { api, mode } = props;
  const editing = mode.kind === 'edit';
  const initialPrefix = mode.kind === 'create' && mode.prefixes.length === 1 ? (mode.prefixes[0] ?? '') : '';
  const [path, setPath] = useState(mode.kind === 'edit' ? mode.path : initialPrefix.endsWith('/') ? initialPrefix : '');
  const [type, setType] = useState<'text' | 'binary'>(mode.kind === 'edit' ? (mode.meta?.type ?? 'text') : 'text');
  const [value, setValue] = useState('');
  const [description, setDescription] = useState(mode.kind === 'edit' ? (mode.meta?.description ?? '') : '');
  const [file, setFile] = useState<File | undefined>(undefined);
  const mustReplace = mode.kind === 'create' || !mode.canRead || mode.meta === undefined;
  const [replaceValue, setReplaceValue] = useState(mustReplace);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const typeFixed = mode.kind === 'edit' && mode.meta !== undefined;

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const target = path.trim();
    const method = editing ? 'PATCH' : 'PUT';
    try {
      if (type === 'binary') {
        if (file === undefined) throw new Error('Choose a file to upload.');
        await api.request(method, secretUrl(target), { bytes: file });
      } else {
        let text = value;
        // PATCH replaces the record: labels the form does not show travel along unchanged.
        let labels: readonly string[] | undefined = mode.kind === 'edit' ? mode.meta?.labels : undefined;
        if (!replaceValue) {
          const current = await fetchSecret(api, target);
          text = current.value ?? '';
          labels = current.meta.labels;
        }
        await api.request(method, secretUrl(target), {
          json: {
            value: text,
            ...(description === '' ? {} : { description }),
            ...(labels === undefined ? {} : { labels }),
          },
        });
      }
      setValue('');
      props.onDone(target);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      class="card secret-form"
      aria-label={editing ? `Edit secret ${path}` : 'New secret'}
      onSubmit={(e) => void submit(e)}
    >
      <h2>{editing ? `Edit ${path}` : 'New secret'}</h2>
      <label>
        ID (path)
        <input
          name="path"
          required
          readOnly={editing}
          spellcheck={false}
          autocomplete="off"
          value={path}
          onInput={(e) => setPath(e.currentTarget.value)}
          placeholder="folder/name"
          aria-describedby="path-hint"
        />
      </label>
      <p id="path-hint" class="hint">
        Segments of letters, digits, <code>.</code>, <code>_</code> and <code>-</code>, separated by <code>/</code>.
        {mode.kind === 'create' && !mode.prefixes.includes('')
          ? ` You may create under: ${mode.prefixes.join(', ')}`
          : ''}
      </p>
      {typeFixed ? null : (
        <fieldset>
          <legend>Type</legend>
          <label class="inline">
            <input type="radio" name="type" checked={type === 'text'} onChange={() => setType('text')} /> Text
          </label>
          <label class="inline">
            <input type="radio" name="type" checked={type === 'binary'} onChange={() => setType('binary')} /> File
            (stored binary)
          </label>
        </fieldset>
      )}
      {type === 'text' ? (
        <>
          {mustReplace ? null : (
            <label class="inline">
              <input
                type="checkbox"
                checked={replaceValue}
                onChange={(e) => setReplaceValue(e.currentTarget.checked)}
              />{' '}
              Replace the value
            </label>
          )}
          {replaceValue ? (
            <label>
              Value
              <textarea
                name="value"
                rows={4}
                spellcheck={false}
                autocomplete="off"
                value={value}
                onInput={(e) => setValue(e.currentTarget.value)}
              />
            </label>
          ) : null}
          <label>
            Description
            <input name="description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
          </label>
        </>
      ) : (
        <label>
          File
          <input name="file" type="file" required onChange={(e) => setFile(e.currentTarget.files?.[0])} />
        </label>
      )}
      {error === undefined ? null : (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {editing ? 'Save' : 'Create'}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
