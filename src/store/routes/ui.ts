// The web interface (`/ui/`): its built files, with headers that keep the page from being framed,
// from running any script or style it did not load from this origin, and from being cached; plus
// the two small read-only answers it needs about its caller. `/` redirects to `/ui/`.
import { SecretsAgentError, isSecretsAgentError } from '../../core/errors.js';
import { accessActions, type AccessAction, type AccessControl } from '../http/access.js';
import { sendBytes, sendEmpty, sendJson } from '../http/respond.js';
import type { Route } from '../http/router.js';
import { parseSecretPath } from '../secret-path.js';
import { loadUiAssets, locateUiDir, type UiAssets } from '../ui/ui-assets.js';

export const uiPrefix = '/ui/';

/** No inline script or style, nothing from elsewhere, no framing, no form posts away. */
export const uiContentSecurityPolicy =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const securityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': uiContentSecurityPolicy,
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
};
// The page shows secret values: never cached. Hashed asset names change with their content.
const pageHeaders = { ...securityHeaders, 'cache-control': 'no-store' };
const assetHeaders = { ...securityHeaders, 'cache-control': 'public, max-age=31536000, immutable' };
const noStore = { 'cache-control': 'no-store' };
const maxAccessPaths = 500;
const storeName = 'default';

export interface UiRoutesOptions {
  readonly access: AccessControl;
  /** The built interface; default dist/ui of this package. */
  readonly dir?: string;
}

// The routes serving the web interface and its caller-introspection answers.
export function createUiRoutes(options: UiRoutesOptions): Route[] {
  let loading: Promise<UiAssets> | undefined;
  const assets = (): Promise<UiAssets> => (loading ??= loadUiAssets(options.dir ?? locateUiDir()));
  const redirect: Route['handler'] = async ({ res }) => sendEmpty(res, 302, { location: uiPrefix, ...noStore });

  return [
    { method: 'GET', pattern: '/', handler: redirect },
    { method: 'GET', pattern: '/ui', handler: redirect },
    {
      // Who the caller is, and the grants it holds (the interface starts its folder tree from them).
      method: 'GET',
      pattern: '/ui/api/session',
      async handler(context) {
        const principal = await context.principal();
        const grants = principal.superuser ? [] : (options.access.listGrants?.(principal) ?? []);
        sendJson(context.res, 200, { uid: principal.uid, superuser: principal.superuser, grants }, noStore);
      },
    },
    {
      // `?path=a/b&path=c`: which secret actions the caller may take on each path (the same decision
      // the Secrets API makes), so the interface shows only controls that work.
      method: 'GET',
      pattern: '/ui/api/access',
      async handler(context) {
        const principal = await context.principal();
        const paths = context.url.searchParams.getAll('path');
        if (paths.length > maxAccessPaths)
          throw new SecretsAgentError(
            'ERR_INPUT_INVALID',
            `Expected at most ${maxAccessPaths} \`path\` parameters, got ${paths.length}`,
          );
        const array = [];
        for (const raw of paths) {
          const path = parseSecretPath(raw);
          const allowed: AccessAction[] = [];
          for (const action of accessActions) {
            if (action === 'full') continue;
            if (await isAuthorized(options.access, principal, `dcos:secrets:${storeName}:/${path}`, action))
              allowed.push(action);
          }
          array.push({ path, actions: allowed });
        }
        sendJson(context.res, 200, { array }, noStore);
      },
    },
    {
      method: 'GET',
      pattern: '/ui/*file',
      async handler({ res, params }) {
        const name = params['file'] === '' || params['file'] === undefined ? 'index.html' : params['file'];
        const found = await assets();
        const asset = found.get(name);
        if (asset === undefined) {
          if (found.size === 0)
            throw new SecretsAgentError(
              'ERR_ROUTE_NOT_FOUND',
              'the web interface is not built into this package: run `npm run build`',
            );
          throw new SecretsAgentError('ERR_ROUTE_NOT_FOUND', `no file at ${uiPrefix}${name.slice(0, 200)}`);
        }
        const headers = asset.contentType.startsWith('text/html') ? pageHeaders : assetHeaders;
        sendBytes(res, 200, asset.body, asset.contentType, headers);
      },
    },
  ];
}

async function isAuthorized(
  access: AccessControl,
  principal: Parameters<AccessControl['authorize']>[0],
  rid: string,
  action: AccessAction,
): Promise<boolean> {
  try {
    await access.authorize(principal, rid, action);
    return true;
  } catch (error) {
    if (isSecretsAgentError(error, 'ERR_FORBIDDEN')) return false;
    throw error;
  }
}
