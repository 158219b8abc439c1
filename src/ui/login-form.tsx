// Uid and password, posted to the IAM's login; the password field is cleared whatever the outcome.
import { useState } from 'preact/hooks';
import { describeError } from './api.js';

export function LoginForm(props: { onLogin(uid: string, password: string): Promise<void> }) {
  const [uid, setUid] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await props.onLogin(uid.trim(), password);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setPassword('');
      setBusy(false);
    }
  };

  return (
    <form class="card login" onSubmit={(event) => void submit(event)} aria-label="Log in">
      <label>
        User ID
        <input name="uid" autocomplete="username" required value={uid} onInput={(e) => setUid(e.currentTarget.value)} />
      </label>
      <label>
        Password
        <input
          name="password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      {error === undefined ? null : (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {busy ? 'Logging in…' : 'Log in'}
      </button>
    </form>
  );
}
