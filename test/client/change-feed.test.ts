import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenProvider } from '../../src/auth/token-provider.js';
import { createChangeFeedClient, watchSecretChanges } from '../../src/client/change-feed.js';
import { createHttpTransport, type HttpTransport } from '../../src/client/http-transport.js';
import { createIamClient, type IamClient } from '../../src/client/iam-client.js';
import { createSecretsHttpApi, type SecretsHttpApi } from '../../src/client/secrets-http-api.js';
import type { TokenProvider } from '../../src/client/token-provider.js';
import { canaryValue } from '../helpers/canary.js';
import { startDcosStandIn, sendDcosError, sendJson, type DcosStandIn } from './support/dcos-stand-in.js';
import { startRealStore, type RealStore } from './support/real-store.js';

const fixedToken: TokenProvider = { getToken: async () => 'tok', invalidate: () => {} };
const text = (value: string): { type: 'text'; bytes: Uint8Array } => ({
  type: 'text',
  bytes: new Uint8Array(Buffer.from(value)),
});

describe('change feed client against the real store and IAM', () => {
  let store: RealStore;
  let iam: IamClient;
  let transport: HttpTransport;
  let admin: SecretsHttpApi;
  let reader: TokenProvider;

  const providerFor = (uid: string, password: string): TokenProvider =>
    createTokenProvider({
      method: { kind: 'password', uid, password, source: 'test' },
      login: (request, endpoint) => iam.login(request, endpoint),
      loginEndpoint: `${store.url}/acs/api/v1/auth/login`,
    });

  beforeAll(async () => {
    store = await startRealStore();
    iam = createIamClient({ url: store.url });
    transport = createHttpTransport();
    admin = createSecretsHttpApi({
      url: store.url,
      tokenProvider: providerFor(store.superuser.uid, store.superuser.password),
      transport,
    });
    const user = await store.createUser('feed-reader', ['dcos:secrets:default:/app/*']);
    reader = providerFor(user.uid, user.password);
  });

  afterAll(async () => {
    await admin?.close();
    await transport?.close();
    await iam?.close();
    await store?.close();
  });

  it('fetchChanges: a reset without an index, then the paths written since, for what the account may read', async () => {
    const client = createChangeFeedClient({ url: store.url, transport, tokenProvider: reader });
    const first = await client.fetchChanges({ waitMs: 60_000 });
    expect(first.reset).toBe(true);
    await admin.createSecret('app/db', text(canaryValue));
    await admin.createSecret('other/db', text('x'));
    const second = await client.fetchChanges({ index: first.index, waitMs: 60_000 });
    expect(second).toEqual({ index: expect.any(String), paths: ['app/db'], reset: false });
    expect(JSON.stringify(second)).not.toContain(canaryValue);
  });

  it('watchSecretChanges delivers a reset first, then each write, and stops on abort', async () => {
    const controller = new AbortController();
    const batches: Array<{ paths: readonly string[]; reset: boolean }> = [];
    let notify: () => void = () => {};
    const watching = watchSecretChanges({
      url: store.url,
      transport,
      tokenProvider: reader,
      prefix: 'app',
      waitMs: 30_000,
      signal: controller.signal,
      onChanges(paths, info) {
        batches.push({ paths, reset: info.reset });
        notify();
      },
    });
    const next = (count: number): Promise<void> =>
      new Promise((resolve) => {
        notify = () => {
          if (batches.length >= count) resolve();
        };
        notify();
      });
    await next(1);
    expect(batches[0]).toEqual({ paths: [], reset: true });
    await admin.updateSecret('app/db', text('rotated'));
    await next(2);
    expect(batches[1]).toEqual({ paths: ['app/db'], reset: false });
    await admin.createSecret('app/cert', text('c'));
    await next(3);
    expect(batches[2]).toEqual({ paths: ['app/cert'], reset: false });
    controller.abort();
    expect(await watching).toEqual({ outcome: 'stopped', index: expect.any(String) });
  });
});

describe('change feed client against stand-ins', () => {
  let standIn: DcosStandIn | undefined;

  afterAll(async () => {
    await standIn?.close();
  });

  it('a store without the endpoint (JSON 404 or Admin Router HTML 404) ends the watch with `unsupported`', async () => {
    for (const answer of ['json', 'html'] as const) {
      const server = await startDcosStandIn((_request, res) => {
        if (answer === 'json') {
          sendDcosError(res, 404, 'Not Found', 'no endpoint at /secrets/v1/changes/default');
        } else {
          res.writeHead(404, { 'content-type': 'text/html' });
          res.end('<html><body>404 Not Found</body></html>');
        }
      });
      try {
        const transport = createHttpTransport();
        const result = await watchSecretChanges({
          url: server.url,
          transport,
          tokenProvider: fixedToken,
          onChanges: () => {},
        });
        expect(result).toEqual({ outcome: 'unsupported', index: undefined });
        await expect(
          createChangeFeedClient({ url: server.url, transport, tokenProvider: fixedToken }).fetchChanges({
            waitMs: 1000,
          }),
        ).rejects.toMatchObject({ code: 'ERR_CHANGES_UNSUPPORTED' });
        await transport.close();
      } finally {
        await server.close();
      }
    }
  });

  it('backs off on 503 and bad bodies, honours Retry-After, redelivers a batch whose handler threw, and sends the index back', async () => {
    let calls = 0;
    standIn = await startDcosStandIn((request, res) => {
      calls += 1;
      if (calls === 1)
        return sendDcosError(
          res,
          503,
          'Service Unavailable',
          'ZooKeeper quorum lost',
          { code: 'ERR_STORAGE_UNAVAILABLE' },
          { 'retry-after': '0' },
        );
      if (calls === 2) return sendJson(res, 200, { index: 'i1', paths: 'not-a-list', reset: false });
      if (calls === 3) return sendJson(res, 200, { index: 'i1', paths: [], reset: true });
      if (calls <= 5) return sendJson(res, 200, { index: 'i2', paths: ['a'], reset: false });
      const url = new URL(request.rawUrl, 'http://x');
      return sendJson(res, 200, {
        index: `seen-${url.searchParams.get('index') ?? ''}-${url.searchParams.get('wait') ?? ''}`,
        paths: ['b'],
        reset: false,
      });
    });
    const transport = createHttpTransport();
    const controller = new AbortController();
    const errors: string[] = [];
    const batches: string[] = [];
    let handlerFailures = 0;
    const result = await watchSecretChanges({
      url: standIn.url,
      transport,
      tokenProvider: fixedToken,
      waitMs: 1000,
      backoff: { baseDelayMs: 1, maxDelayMs: 5 },
      signal: controller.signal,
      onError: (error) => errors.push((error as { code: string }).code),
      onChanges(paths, info) {
        if (paths[0] === 'a' && handlerFailures === 0) {
          handlerFailures += 1;
          throw new Error('handler failed');
        }
        batches.push(`${info.index}:${paths.join(',')}:${String(info.reset)}`);
        if (paths[0] === 'b') controller.abort();
      },
    });
    await transport.close();
    expect(errors).toEqual(['ERR_STORAGE_UNAVAILABLE', 'ERR_HTTP_UNEXPECTED', undefined]);
    expect(batches).toEqual(['i1::true', 'i2:a:false', 'seen-i2-1000ms:b:false']);
    expect(result).toEqual({ outcome: 'stopped', index: 'seen-i2-1000ms' });
    // The handler's failure did not move the index: the 5th request asked again from i1.
    expect(new URL(standIn.requests[4]?.rawUrl ?? '', 'http://x').searchParams.get('index')).toBe('i1');
    expect(standIn.requests.every((request) => request.headers['authorization'] === 'token=tok')).toBe(true);
  });

  it('refuses bad options', async () => {
    const transport = createHttpTransport();
    await expect(
      watchSecretChanges({
        url: 'http://127.0.0.1:1',
        transport,
        tokenProvider: fixedToken,
        waitMs: -1,
        onChanges: () => {},
      }),
    ).rejects.toMatchObject({ code: 'ERR_USAGE' });
    await transport.close();
  });
});
