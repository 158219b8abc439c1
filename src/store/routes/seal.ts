// Init, seal, unseal, auto-unseal and seal status (docs/wire-formats.md#init-seal-and-unseal,
// docs/decisions.md#seal-unseal-init). Everything but seal-status needs `dcos:superuser` `full`; seal-status needs a
// caller.
import { SecretsAgentError } from '../../core/errors.js';
import { parseJsonBody, readBody } from '../http/read-body.js';
import { sendJson } from '../http/respond.js';
import type { Route, RouteContext } from '../http/router.js';
import type { InitInfo, InitializeOptions } from '../seal-manager.js';
import type { SecretStore } from '../secret-store.js';
import { assertJsonContentType } from './media-type.js';
import { resolveStore } from './store-name.js';

const maxSealBodyBytes = 64 * 1024;
const superuserRid = 'dcos:superuser';

export interface SealRoutesOptions {
  readonly store: SecretStore;
  /** Used by `PUT /init` without `pgp_keys` (a pre-generated bootstrap keypair, e.g. in tests). */
  readonly initDefaults?: Pick<InitializeOptions, 'keyPair'>;
}

// The seal and init routes of one store.
export function createSealRoutes(options: SealRoutesOptions): Route[] {
  const { store } = options;

  const superuserStore = async (context: RouteContext): Promise<SecretStore> => {
    await context.authorize(superuserRid, 'full');
    return resolveStore(store, context.params['store']);
  };

  return [
    {
      method: 'GET',
      pattern: '/secrets/v1/seal-status/:store',
      async handler(context) {
        await context.principal();
        sendJson(context.res, 200, resolveStore(store, context.params['store']).seal.status());
      },
    },
    {
      method: 'PUT',
      pattern: '/secrets/v1/seal/:store',
      async handler(context) {
        const { seal } = await superuserStore(context);
        sendJson(context.res, 200, await seal.seal());
      },
    },
    {
      method: 'PUT',
      pattern: '/secrets/v1/unseal/:store',
      async handler(context) {
        const { seal } = await superuserStore(context);
        const body = await readObjectBody(context, 'unseal request', ['key']);
        if (typeof body['key'] !== 'string') throw invalid('unseal request /key: expected a string of hex digits');
        sendJson(context.res, 200, await seal.unseal(body['key']));
      },
    },
    {
      method: 'PUT',
      pattern: '/secrets/v1/auto-unseal/:store',
      async handler(context) {
        const { seal } = await superuserStore(context);
        // The docs send no body; SW2 describes an UnsealRequest. Accept both, ignore `key`.
        const body = await readObjectBody(context, 'auto-unseal request', ['key'], { allowEmpty: true });
        if (body['key'] !== undefined && typeof body['key'] !== 'string')
          throw invalid('auto-unseal request /key: expected a string');
        sendJson(context.res, 200, await seal.autoUnseal());
      },
    },
    {
      method: 'GET',
      pattern: '/secrets/v1/init/:store',
      async handler(context) {
        const { seal } = await superuserStore(context);
        sendJson(context.res, 200, toInitResponse(seal.initInfo()));
      },
    },
    {
      method: 'PUT',
      pattern: '/secrets/v1/init/:store',
      async handler(context) {
        const { seal } = await superuserStore(context);
        const body = await readObjectBody(context, 'init request', ['shares', 'threshold', 'pgp_keys'], {
          allowEmpty: true,
        });
        const request = parseInitRequest(body);
        const info = await seal.initialize({ ...options.initDefaults, ...request });
        context.log.info(
          { store: store.name, pgpFingerprints: info.pgpFingerprints },
          'store initialized through the API',
        );
        sendJson(context.res, 200, toInitResponse(info));
      },
    },
  ];
}

function toInitResponse(info: InitInfo): Record<string, unknown> {
  return { initialized: info.initialized, keys: info.keys, pgp_fingerprints: info.pgpFingerprints };
}

function parseInitRequest(body: Record<string, unknown>): InitializeOptions {
  const { shares, threshold, pgp_keys: pgpKeys } = body;
  for (const [name, value] of [
    ['shares', shares],
    ['threshold', threshold],
  ] as const) {
    if (value !== undefined && !Number.isInteger(value))
      throw invalid(`init request /${name}: expected an integer, got a ${typeof value}`);
  }
  if (pgpKeys !== undefined) {
    if (!Array.isArray(pgpKeys)) throw invalid('init request /pgp_keys: expected an array of strings');
    for (const [index, key] of pgpKeys.entries()) {
      if (typeof key !== 'string')
        throw invalid(`init request /pgp_keys/${index}: expected a string (base64 of \`gpg --export\`)`);
    }
  }
  return {
    ...(shares === undefined ? {} : { shares: shares as number }),
    ...(threshold === undefined ? {} : { threshold: threshold as number }),
    ...(pgpKeys === undefined ? {} : { pgpPublicKeys: pgpKeys as string[] }),
  };
}

async function readObjectBody(
  context: RouteContext,
  what: string,
  fields: readonly string[],
  options: { allowEmpty?: boolean } = {},
): Promise<Record<string, unknown>> {
  const raw = await readBody(context.req, maxSealBodyBytes);
  if (raw.length === 0 && options.allowEmpty === true) return {};
  assertJsonContentType(context.req.headers['content-type']);
  const value = parseJsonBody(raw, what);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`${what}: expected a JSON object`);
  for (const name of Object.keys(value)) {
    if (!fields.includes(name))
      throw invalid(`${what} /${name.slice(0, 64)}: unknown field (allowed: ${fields.join(', ')})`);
  }
  return value as Record<string, unknown>;
}

function invalid(message: string): SecretsAgentError {
  return new SecretsAgentError('ERR_INPUT_INVALID', message);
}
