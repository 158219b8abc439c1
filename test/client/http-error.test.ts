// Error mapping against stand-ins for a *real DC/OS cluster*: Admin Router's HTML pages, the
// Secrets service's `{title, description}` bodies (no `code`), proxies answering 503, the IAM's 401.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIamClient } from '../../src/client/iam-client.js';
import { mapHttpError } from '../../src/client/http-error.js';
import { hasControlCharacter } from '../../src/core/control-characters.js';
import { createSecretsHttpApi, type SecretsHttpApi } from '../../src/client/secrets-http-api.js';
import type { TokenProvider } from '../../src/client/token-provider.js';
import { sendDcosError, startDcosStandIn, type DcosStandIn } from './support/dcos-stand-in.js';
import { captureRejection } from '../helpers/rejection.js';

const adminRouter401 = readFileSync(new URL('../fixtures/client/adminrouter-401.html', import.meta.url));
const adminRouter403 = readFileSync(new URL('../fixtures/client/adminrouter-403.html', import.meta.url));

// What the stand-in answers for a secret path (the last URL segment picks the case).
const answers: Record<string, (res: import('node:http').ServerResponse) => void> = {
  missing: (res) => sendDcosError(res, 404, 'Not Found', 'Secret `missing` does not exist'),
  'unknown-store': (res) => sendDcosError(res, 404, 'Not Found', 'Store `fake` not found'),
  taken: (res) => sendDcosError(res, 409, 'Conflict', 'Secret `taken` already exists'),
  huge: (res) => sendDcosError(res, 413, 'Payload Too Large', 'Secret value is larger than 1047552 bytes'),
  sealed: (res) => sendDcosError(res, 503, 'Service Unavailable', 'store is sealed'),
  'proxy-503': (res) => {
    res.writeHead(503, { 'content-type': 'text/html', 'retry-after': '4' });
    res.end('<html><body>upstream down</body></html>');
  },
  throttled: (res) =>
    sendDcosError(res, 429, 'Too Many Requests', 'too many failed logins', {}, { 'retry-after': '2' }),
  'html-403': (res) => {
    res.writeHead(403, { 'content-type': 'text/html; charset=UTF-8' });
    res.end(adminRouter403);
  },
  'html-401': (res) => {
    res.writeHead(401, { 'content-type': 'text/html; charset=UTF-8', 'www-authenticate': 'acsjwt' });
    res.end(adminRouter401);
  },
  'html-404': (res) => {
    res.writeHead(404, { 'content-type': 'text/html' });
    res.end('<html><body>404 Not Found</body></html>');
  },
  'our-code': (res) =>
    sendDcosError(res, 400, 'Bad Request', 'Secret path `a b` is invalid', { code: 'ERR_SECRET_PATH_INVALID' }),
  'foreign-code': (res) =>
    sendDcosError(res, 400, 'Bad Request', 'User `x` not known.', { code: 'ERR_UNKNOWN_USER_ID' }),
  'plain-500': (res) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(`panic: ${'stack '.repeat(50)}`);
  },
  'wrong-type': (res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('value');
  },
};

let standIn: DcosStandIn;
let api: SecretsHttpApi;
const invalidated: string[] = [];
const tokenProvider: TokenProvider = {
  async getToken() {
    return `token-${invalidated.length}`;
  },
  invalidate(token) {
    invalidated.push(token ?? '');
  },
};

beforeAll(async () => {
  standIn = await startDcosStandIn((request, res) => {
    if (request.rawUrl === '/acs/api/v1/auth/login') {
      sendDcosError(res, 401, 'Unauthorized', 'Login failed');
      return;
    }
    const name = request.rawUrl.split('?')[0]?.split('/').pop() ?? '';
    const answer = answers[name];
    if (answer === undefined) sendDcosError(res, 500, 'Internal Server Error', `no case ${name}`);
    else answer(res);
  });
  api = createSecretsHttpApi({ url: standIn.url, tokenProvider });
});

afterAll(async () => {
  await api?.close();
  await standIn?.close();
});

describe('mapping DC/OS error answers to our codes', () => {
  it('404 `does not exist` → ERR_SECRET_NOT_FOUND, keeping the description that Portworx matches on', async () => {
    const error = await captureRejection(api.getSecret('missing'));
    expect(error.code).toBe('ERR_SECRET_NOT_FOUND');
    expect(error.message).toBe('Secret `missing` does not exist');
    expect(error.details).toMatchObject({ status: 404, method: 'GET', path: '/secrets/v1/secret/default/missing' });
  });

  it('404 `store not found` → ERR_STORE_NOT_FOUND', async () => {
    expect((await captureRejection(api.getSecret('unknown-store'))).code).toBe('ERR_STORE_NOT_FOUND');
  });

  it('409 → ERR_SECRET_EXISTS with `already exists`', async () => {
    const error = await captureRejection(
      api.createSecret('taken', { type: 'text', bytes: new TextEncoder().encode('v') }),
    );
    expect(error.code).toBe('ERR_SECRET_EXISTS');
    expect(error.message).toContain('already exists');
  });

  it('413 → ERR_SECRET_TOO_LARGE', async () => {
    expect((await captureRejection(api.createSecret('huge', { type: 'text', bytes: new Uint8Array(1) }))).code).toBe(
      'ERR_SECRET_TOO_LARGE',
    );
  });

  it('503 saying sealed → ERR_STORE_SEALED; a proxy 503 → ERR_STORE_UNREACHABLE with Retry-After', async () => {
    expect((await captureRejection(api.getSecret('sealed'))).code).toBe('ERR_STORE_SEALED');
    const proxy = await captureRejection(api.getSecret('proxy-503'));
    expect(proxy.code).toBe('ERR_STORE_UNREACHABLE');
    expect(proxy.details?.['retryAfterMs']).toBe(4000);
    expect(proxy.message).not.toContain('<html');
  });

  it('429 → ERR_AUTH_THROTTLED with retryAfterMs', async () => {
    const error = await captureRejection(api.getSecret('throttled'));
    expect(error.code).toBe('ERR_AUTH_THROTTLED');
    expect(error.details?.['retryAfterMs']).toBe(2000);
  });

  it('an HTML 403 from Admin Router → ERR_FORBIDDEN, no HTML in the message', async () => {
    const error = await captureRejection(api.getSecret('html-403'));
    expect(error.code).toBe('ERR_FORBIDDEN');
    expect(error.message).not.toMatch(/<|Access Denied/);
  });

  it('an HTML 401 from Admin Router → one retry with a fresh token, then ERR_AUTH_TOKEN_INVALID', async () => {
    const before = standIn.requests.length;
    const error = await captureRejection(api.getSecret('html-401'));
    expect(error.code).toBe('ERR_AUTH_TOKEN_INVALID');
    expect(error.message).toContain('Admin Router');
    expect(error.message).not.toContain('<');
    const sent = standIn.requests.slice(before);
    expect(sent.map((request) => request.headers.authorization)).toEqual(['token=token-0', 'token=token-1']);
    expect(invalidated).toEqual(['token-0']);
  });

  it('an HTML 404 means a wrong URL, not a missing secret', async () => {
    const error = await captureRejection(api.getSecret('html-404'));
    expect(error.code).toBe('ERR_HTTP_UNEXPECTED');
    expect(error.message).toContain('is the store URL right?');
  });

  it('keeps a `code` that is ours, and maps by status when it is not', async () => {
    expect((await captureRejection(api.getSecret('our-code'))).code).toBe('ERR_SECRET_PATH_INVALID');
    const foreign = await captureRejection(api.getSecret('foreign-code'));
    expect(foreign.code).toBe('ERR_INPUT_INVALID');
    expect(foreign.details?.['serverCode']).toBe('ERR_UNKNOWN_USER_ID');
  });

  it('a non-JSON 500 → ERR_HTTP_UNEXPECTED without the body text', async () => {
    const error = await captureRejection(api.getSecret('plain-500'));
    expect(error.code).toBe('ERR_HTTP_UNEXPECTED');
    expect(error.message).toBe('Internal Server Error (HTTP 500 from GET /secrets/v1/secret/default/plain-500)');
  });

  it('a 200 with an unexpected Content-Type → ERR_HTTP_UNEXPECTED', async () => {
    expect((await captureRejection(api.getSecret('wrong-type'))).code).toBe('ERR_HTTP_UNEXPECTED');
  });

  it('401 on login → ERR_AUTH_LOGIN_FAILED', async () => {
    const iam = createIamClient({ url: standIn.url });
    try {
      const error = await captureRejection(iam.login({ uid: 'u', password: 'p' }));
      expect(error.code).toBe('ERR_AUTH_LOGIN_FAILED');
      expect(error.message).toBe('Login failed');
    } finally {
      await iam.close();
    }
  });
});

describe('mapHttpError', () => {
  const context = { area: 'iam-account' as const, method: 'PUT', urlPath: '/acs/api/v1/users/x' };
  const response = (
    status: number,
    body: unknown,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) => ({
    status,
    headers,
    body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
  });

  it('reads 404 and 409 in the light of the area', () => {
    expect(mapHttpError(response(404, { title: 'Not Found' }), context).code).toBe('ERR_IAM_ACCOUNT_NOT_FOUND');
    expect(mapHttpError(response(409, { title: 'Conflict' }), context).code).toBe('ERR_IAM_ACCOUNT_EXISTS');
    expect(mapHttpError(response(409, {}), { ...context, area: 'iam-acl' }).code).toBe('ERR_IAM_ACL_EXISTS');
    expect(mapHttpError(response(409, {}), { ...context, area: 'store' }).code).toBe('ERR_STORE_ALREADY_SEALED');
  });

  it('strips control characters and bounds the server description', () => {
    const error = mapHttpError(response(400, { description: `bad\u001b[31m path\n${'x'.repeat(600)}` }), context);
    expect(hasControlCharacter(error.message)).toBe(false);
    expect(error.message.length).toBeLessThanOrEqual(503);
  });

  it('uses the title when there is no description, and survives broken JSON', () => {
    expect(mapHttpError(response(418, { title: 'I am a teapot' }), context).message).toBe(
      'I am a teapot (HTTP 418 from PUT /acs/api/v1/users/x)',
    );
    expect(mapHttpError(response(400, '{not json'), context).code).toBe('ERR_INPUT_INVALID');
  });

  it('reads an HTTP-date Retry-After', () => {
    const nowMs = Date.parse('2024-05-01T12:00:00Z');
    const error = mapHttpError(
      response(503, {}, { 'content-type': 'application/json', 'retry-after': 'Wed, 01 May 2024 12:00:03 GMT' }),
      context,
      nowMs,
    );
    expect(error.details?.['retryAfterMs']).toBe(3000);
  });
});
