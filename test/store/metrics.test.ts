// GET /metrics on the store (issue 15.4): a real store with the real IAM on 127.0.0.1:0, scraped on
// the API listener (token needed: superuser or dcos:secrets:metrics read) and on the separate
// unauthenticated metrics listener; the text is read with Prometheus' own parser and the counters
// are checked to move by exactly the requests made.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIam, type Iam } from '../../src/store/iam/iam.js';
import { createStoreServer, type StoreServer } from '../../src/store/server.js';
import type { StorageBackend } from '../../src/store/storage/backend.js';
import { openStorage } from '../../src/store/storage/open-storage.js';
import { canaryValue } from '../helpers/canary.js';
import { createTestLogger } from '../helpers/log-capture.js';
import { getTestPgpKeyPair } from '../helpers/pgp-keypair.js';
import { parseExposition, sampleValue, type ParsedFamily } from '../metrics/support/parse-exposition.js';
import { rawRequest } from './support/store-server.js';

let storage: StorageBackend;
let iam: Iam;
let server: StoreServer;
let adminToken: string;
let scraperToken: string;
let readerToken: string;
const secretRoute = '/secrets/v1/secret/:store/*path';

beforeAll(async () => {
  const log = createTestLogger();
  storage = await openStorage({
    dataDir: await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'metrics-')),
    log,
  });
  iam = await createIam({ storage, log });
  server = await createStoreServer({
    storage,
    access: iam.access,
    routes: iam.routes,
    log,
    listen: { host: '127.0.0.1', port: 0 },
    initialize: { keyPair: await getTestPgpKeyPair() },
    closeGraceMs: 100,
    metrics: { listen: { host: '127.0.0.1', port: 0 } },
  });
  for (const uid of ['admin', 'scraper', 'reader']) await iam.createUser({ uid, password: `pw-${uid}-0123456789` });
  await iam.grant({ uid: 'admin', rid: 'dcos:superuser', action: 'full' }, { createAcl: true });
  await iam.grant({ uid: 'scraper', rid: 'dcos:secrets:metrics', action: 'read' }, { createAcl: true });
  adminToken = await iam.issueToken('admin');
  scraperToken = await iam.issueToken('scraper');
  readerToken = await iam.issueToken('reader');
});

afterAll(async () => {
  await server.close();
  await iam.close();
  await storage.close();
});

async function scrape(url: string, token?: string): Promise<{ status: number; text: string }> {
  const response = await rawRequest(url, {
    path: '/metrics',
    headers: token === undefined ? {} : { authorization: `token=${token}` },
  });
  return { status: response.status, text: response.body.toString('utf8') };
}

async function scrapeParsed(): Promise<{ families: ParsedFamily[]; text: string }> {
  const { status, text } = await scrape(server.metricsUrl ?? '');
  expect(status).toBe(200);
  return { families: await parseExposition(text), text };
}

const requests = (families: ParsedFamily[], method: string, status: string): number => {
  const value = sampleValue(families, 'secret_store_requests_total', { route: secretRoute, method, status });
  return typeof value === 'number' ? value : 0;
};

describe('store GET /metrics (issue 15.4)', () => {
  it('on the API listener needs a superuser or dcos:secrets:metrics read', async () => {
    expect((await scrape(server.url)).status).toBe(401);
    expect((await scrape(server.url, readerToken)).status).toBe(403);
    const scraper = await scrape(server.url, scraperToken);
    expect(scraper.status).toBe(200);
    expect(scraper.text).toContain('# TYPE secret_store_requests_total counter');
    expect((await scrape(server.url, adminToken)).status).toBe(200);
  });

  it("counts requests by route pattern and status, with latency, seal, storage and process metrics Prometheus' parser reads", async () => {
    const before = (await scrapeParsed()).families;
    const headers = { authorization: `token=${adminToken}`, 'content-type': 'application/json' };
    const path = '/secrets/v1/secret/default/metrics-test/db';
    expect(
      (await rawRequest(server.url, { method: 'PUT', path, headers, body: JSON.stringify({ value: canaryValue }) }))
        .status,
    ).toBe(201);
    for (let index = 0; index < 3; index += 1)
      expect((await rawRequest(server.url, { path, headers })).status).toBe(200);
    expect((await rawRequest(server.url, { path: `${path}-missing`, headers })).status).toBe(404);

    const { families, text } = await scrapeParsed();
    expect(requests(families, 'GET', '200') - requests(before, 'GET', '200')).toBe(3);
    expect(requests(families, 'GET', '404') - requests(before, 'GET', '404')).toBe(1);
    expect(requests(families, 'PUT', '201') - requests(before, 'PUT', '201')).toBe(1);
    const count = sampleValue(families, 'secret_store_request_duration_seconds_count', {
      route: secretRoute,
      method: 'GET',
    });
    expect(count).toBeGreaterThanOrEqual(4);
    expect(families.find((family) => family.name === 'secret_store_request_duration_seconds')?.type).toBe('histogram');
    expect(sampleValue(families, 'secret_store_sealed')).toBe(0);
    expect(sampleValue(families, 'secret_store_storage_connected', { driver: 'file' })).toBe(1);
    expect(sampleValue(families, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sampleValue(families, 'process_open_fds')).toBeGreaterThan(0);
    expect(families.some((family) => family.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
    // Labels are route patterns: no secret path or value reaches the metrics.
    expect(text).not.toContain('metrics-test');
    expect(text).not.toContain(canaryValue);
  });

  it('the metrics listener serves only /metrics', async () => {
    const other = await rawRequest(server.metricsUrl ?? '', { path: '/secrets/v1/secret/default/metrics-test/db' });
    expect(other.status).toBe(404);
  });
});
