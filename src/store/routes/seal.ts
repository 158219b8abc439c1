// Init, seal, unseal, auto-unseal and seal status (docs/wire-formats.md#init-seal-and-unseal,
// docs/decisions.md#seal-unseal-init). Everything but seal-status needs `dcos:superuser` `full`; seal-status needs a
// caller.
import { SecretsAgentError } from '../../core/errors.js';
import { parseJsonBody, readBody } from '../http/read-body.js';
import { discardSensitiveBody, readSensitiveBody } from '../http/read-sensitive-body.js';
import { sendJson } from '../http/respond.js';
import type { Route, RouteContext } from '../http/router.js';
import { parseJsonBytes, wipeJsonBytes, type JsonBytesValue } from '../parse-json-bytes.js';
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
        const { seal } = await superuserStore(context).catch(async (error: unknown) => {
          // Refused before reading the key: zero it as it arrives instead of leaving it to Node.
          await discardSensitiveBody(context.req, context.res, maxSealBodyBytes);
          throw error;
        });
        // The key never becomes a JS string: the body and the parsed hex are Buffers, zeroed here.
        const raw = await readSensitiveBody(context.req, maxSealBodyBytes);
        let body: JsonBytesValue | undefined;
        try {
          assertJsonContentType(context.req.headers['content-type']);
          body = parseJsonBytes(raw, { what: 'unseal request', bytesAt: (pointer) => pointer === '/key' });
          const key = narrowObject(body, 'unseal request', ['key'])['key'];
          if (!Buffer.isBuffer(key)) throw invalid('unseal request /key: expected a string of hex digits');
          sendJson(context.res, 200, await seal.unseal(key));
        } finally {
          wipeJsonBytes(body);
          raw.fill(0);
        }
      },
    },
    {
      method: 'PUT',
      pattern: '/secrets/v1/auto-unseal/:store',
      async handler(context) {
        const { seal } = await superuserStore(context);
        // The docs send no body; SW2 describes an UnsealRequest. Accept both, ignore `key` (read as bytes, zeroed).
        const raw = await readSensitiveBody(context.req, maxSealBodyBytes);
        let body: JsonBytesValue | undefined;
        try {
          if (raw.length > 0) {
            assertJsonContentType(context.req.headers['content-type']);
            body = parseJsonBytes(raw, { what: 'auto-unseal request', bytesAt: (pointer) => pointer === '/key' });
            const key = narrowObject(body, 'auto-unseal request', ['key'])['key'];
            if (key !== undefined && !Buffer.isBuffer(key))
              throw invalid('auto-unseal request /key: expected a string');
          }
        } finally {
          wipeJsonBytes(body);
          raw.fill(0);
        }
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
  return narrowObject(parseJsonBody(raw, what), what, fields);
}

function narrowObject(value: unknown, what: string, fields: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value))
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
