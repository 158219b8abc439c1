// `/secrets/v1/ping` (200 `pong`, no auth: a liveness probe) and `/secrets/v1/ping/backends/{name|all}`
// (200 `pong` when the storage answers, 503 otherwise).
import { sendBytes } from '../http/respond.js';
import type { Route } from '../http/router.js';
import type { SecretStore } from '../secret-store.js';
import { resolveStore } from './store-name.js';

const pong = Buffer.from('pong');

// The ping routes; they need no token, like the liveness checks that call them.
export function createPingRoutes(options: { readonly store: SecretStore }): Route[] {
  const { store } = options;
  return [
    {
      method: 'GET',
      pattern: '/secrets/v1/ping',
      async handler({ res }) {
        sendBytes(res, 200, pong, 'text/plain');
      },
    },
    {
      method: 'GET',
      pattern: '/secrets/v1/ping/backends/:backend',
      async handler({ res, params }) {
        const target = params['backend'] === 'all' ? store : resolveStore(store, params['backend']);
        await target.storage.ping();
        sendBytes(res, 200, pong, 'text/plain');
      },
    },
  ];
}
