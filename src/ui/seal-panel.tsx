// The seal state: a banner while sealed (with the unseal form for superusers), and the seal button.
import { useState } from 'preact/hooks';
import { describeError, type Api } from './api.js';

export interface SealStatus {
  readonly sealed: boolean;
  readonly shares?: number;
  readonly threshold?: number;
  readonly progress?: number;
}

export function SealBanner(props: { api: Api; superuser: boolean; onChange(status: SealStatus): void }) {
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  const unseal = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const status = await props.api.json<SealStatus>('PUT', '/secrets/v1/unseal/default', {
        json: { key: key.trim() },
      });
      setKey('');
      props.onChange(status);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sealed">
      <section class="banner" role="alert" aria-label="Store sealed">
        <h1>The store is sealed</h1>
        <p>Secrets cannot be read, written or listed until a superuser unseals the store with its unseal key.</p>
      </section>
      {props.superuser ? (
        <form class="card" aria-label="Unseal" onSubmit={(event) => void unseal(event)}>
          <label>
            Unseal key (the hex that <code>xxd -r -p | gpg -d</code> prints from the store's encrypted key)
            <input
              name="unseal-key"
              type="password"
              autocomplete="off"
              spellcheck={false}
              required
              value={key}
              onInput={(e) => setKey(e.currentTarget.value)}
            />
          </label>
          {error === undefined ? null : (
            <p class="error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" disabled={busy}>
            Unseal
          </button>
        </form>
      ) : (
        <p>Ask a superuser to unseal it.</p>
      )}
    </main>
  );
}

export function SealControl(props: { api: Api; onChange(status: SealStatus): void }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  const seal = async (): Promise<void> => {
    setError(undefined);
    try {
      await props.api.request('PUT', '/secrets/v1/seal/default');
      setConfirming(false);
      props.onChange(await props.api.json<SealStatus>('GET', '/secrets/v1/seal-status/default'));
    } catch (failure) {
      setError(describeError(failure));
    }
  };

  if (!confirming)
    return (
      <button type="button" class="danger" onClick={() => setConfirming(true)}>
        Seal store
      </button>
    );
  return (
    <span class="confirm" role="group" aria-label="Confirm sealing">
      <span>Seal the store? Nothing can be read until it is unsealed with the key.</span>
      <button type="button" class="danger" onClick={() => void seal()}>
        Seal now
      </button>
      <button type="button" onClick={() => setConfirming(false)}>
        Cancel
      </button>
      {error === undefined ? null : (
        <span class="error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}
