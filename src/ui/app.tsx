// The shell: login, then the seal banner, navigation and the current view. The session ends at
// logout, when the token expires (its `exp`), or when the store refuses the token.
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { AccessView } from './access-view.js';
import { Api, describeError } from './api.js';
import { LoginForm } from './login-form.js';
import { SealBanner, SealControl, type SealStatus } from './seal-panel.js';
import { SecretsView } from './secrets-view.js';
import { loadSession, type Session } from './session.js';
import { readTokenExpiryMs } from './token-expiry.js';

type View = 'secrets' | 'access';
// setTimeout's limit; tokens living longer are still checked by every API answer.
const maxTimerMs = 2 ** 31 - 1;

export function App() {
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const [seal, setSeal] = useState<SealStatus | undefined>(undefined);
  const [view, setView] = useState<View>('secrets');
  const handlers = useRef({ onUnauthorized: () => {}, onSealed: () => {} });
  const api = useMemo(
    () =>
      new Api({
        onUnauthorized: () => handlers.current.onUnauthorized(),
        onSealed: () => handlers.current.onSealed(),
      }),
    [],
  );

  const endSession = useCallback(
    (message: string | undefined) => {
      api.setToken(undefined);
      setSession(undefined);
      setSeal(undefined);
      setView('secrets');
      setNotice(message);
    },
    [api],
  );

  const refreshSeal = useCallback(async () => {
    try {
      setSeal(await api.json<SealStatus>('GET', '/secrets/v1/seal-status/default'));
    } catch (error) {
      setNotice(describeError(error));
    }
  }, [api]);

  handlers.current = {
    onUnauthorized: () => endSession('The store refused the session (expired or revoked): log in again.'),
    onSealed: () => void refreshSeal(),
  };

  useEffect(() => {
    if (session?.expiresAtMs === undefined) return undefined;
    const timer = window.setTimeout(
      () => endSession('Your session expired: log in again.'),
      Math.min(Math.max(session.expiresAtMs - Date.now(), 0), maxTimerMs),
    );
    return () => window.clearTimeout(timer);
  }, [session, endSession]);

  const login = async (uid: string, password: string): Promise<void> => {
    const answer = await api.json<{ token: string }>('POST', '/acs/api/v1/auth/login', { json: { uid, password } });
    api.setToken(answer.token);
    try {
      const next = await loadSession(api, readTokenExpiryMs(answer.token));
      setSeal(await api.json<SealStatus>('GET', '/secrets/v1/seal-status/default'));
      setNotice(undefined);
      setSession(next);
    } catch (error) {
      api.setToken(undefined);
      throw error;
    }
  };

  if (session === undefined) {
    return (
      <main class="login-page">
        <h1>Secret Store</h1>
        {notice === undefined ? null : (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        <LoginForm onLogin={login} />
      </main>
    );
  }

  const sealed = seal?.sealed === true;
  return (
    <div class="shell">
      <header class="top">
        <span class="brand">Secret Store</span>
        {sealed ? null : (
          <nav aria-label="Sections">
            <button
              type="button"
              aria-current={view === 'secrets' ? 'page' : undefined}
              onClick={() => setView('secrets')}
            >
              Secrets
            </button>
            {session.superuser ? (
              <button
                type="button"
                aria-current={view === 'access' ? 'page' : undefined}
                onClick={() => setView('access')}
              >
                Access
              </button>
            ) : null}
          </nav>
        )}
        <span class="who">
          Signed in as <strong>{session.uid}</strong>
          {session.superuser ? ' (superuser)' : ''}
        </span>
        {session.superuser && !sealed ? <SealControl api={api} onChange={setSeal} /> : null}
        <button type="button" onClick={() => endSession('You logged out.')}>
          Log out
        </button>
      </header>
      {notice === undefined ? null : (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {sealed ? (
        <SealBanner api={api} superuser={session.superuser} onChange={setSeal} />
      ) : view === 'access' && session.superuser ? (
        <AccessView api={api} self={session.uid} />
      ) : (
        <SecretsView api={api} session={session} />
      )}
    </div>
  );
}
