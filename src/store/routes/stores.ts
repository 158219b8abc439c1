// `/secrets/v1/store[/{name}]`: the one store we serve, as the `Backend` schema describes it.
// Creating or deleting stores is not supported (docs/decisions.md#stores).
import { SecretsAgentError } from '../../core/errors.js';
import { sendJson } from '../http/respond.js';
import type { Route } from '../http/router.js';
import type { SecretStore } from '../secret-store.js';
import { resolveStore } from './store-name.js';

// The store listing routes.
export function createStoreRoutes(options: { readonly store: SecretStore }): Route[] {
  const { store } = options;
  const unsupported = async (context: Parameters<Route['handler']>[0]): Promise<void> => {
    await context.authorize('dcos:superuser', 'full');
    throw new SecretsAgentError(
      'ERR_STORE_UNSUPPORTED',
      'creating or deleting stores is not supported: the only store is `default`',
    );
  };
  return [
    {
      method: 'GET',
      pattern: '/secrets/v1/store',
      async handler(context) {
        await context.principal();
        sendJson(context.res, 200, { array: [describeBackend(store)] });
      },
    },
    {
      method: 'GET',
      pattern: '/secrets/v1/store/:name',
      async handler(context) {
        await context.principal();
        sendJson(context.res, 200, describeBackend(resolveStore(store, context.params['name'])));
      },
    },
    { method: 'PUT', pattern: '/secrets/v1/store/:name', handler: unsupported },
    { method: 'DELETE', pattern: '/secrets/v1/store/:name', handler: unsupported },
  ];
}

function describeBackend(store: SecretStore): Record<string, unknown> {
  return {
    name: store.name,
    description: `Secret Store ${store.name} backend (${store.storage.driver} storage)`,
    driver: store.storage.driver,
    initialized: store.seal.initialized,
    sealed: store.seal.sealed,
  };
}
