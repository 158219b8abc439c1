// The web interface's route (issue 14): security headers, content types, no way out of dist/ui,
// the redirect to /ui/, and the caller-introspection answers.
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBootstrapAccess } from '../../../src/store/http/bootstrap-access.js';
import { createRouter } from '../../../src/store/http/router.js';
import { createUiRoutes, uiContentSecurityPolicy } from '../../../src/store/routes/ui.js';
import { createTestLogger } from '../../helpers/log-capture.js';
import { call, loginWithPassword } from '../iam/support/http.js';
import { startIamServer, type IamTestServer } from '../iam/support/iam-server.js';
import { ensureUiBuilt } from '../../ui/support/ui-build.js';
import { rawRequest, startTestStore } from '../support/store-server.js';

let server: IamTestServer;
let adminToken: string;
let aliceToken: string;

beforeAll(async () => {
  ensureUiBuilt();
  server = await startIamServer();
  await server.iam.createUser({ uid: 'admin', password: 'admin-password-1' });
  await server.iam.grant({ uid: 'admin', rid: 'dcos:superuser', action: 'full' }, { createAcl: true });
  await server.iam.createUser({ uid: 'alice', password: 'alice-password-1' });
  await server.iam.grant({ uid: 'alice', rid: 'dcos:secrets:default:/team/*', action: 'read' }, { createAcl: true });
  await server.iam.grant({ uid: 'alice', rid: 'dcos:secrets:list:default:/team', action: 'read' }, { createAcl: true });
  adminToken = await loginWithPassword(server.url, 'admin', 'admin-password-1');
  aliceToken = await loginWithPassword(server.url, 'alice', 'alice-password-1');
});

afterAll(async () => {
  await server?.close();
});

describe('web interface route (issue 14)', () => {
  it('serves the page with a strict CSP, no framing, no referrer, no sniffing and no caching', async () => {
    const page = await rawRequest(server.url, { path: '/ui/' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(uiContentSecurityPolicy);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ])
      expect(uiContentSecurityPolicy).toContain(directive);
    expect(uiContentSecurityPolicy).not.toContain('unsafe-inline');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-store');
    const html = page.body.toString('utf8');
    // No inline script or style: every script has a src, and there is no <style> or style="".
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=/);
    expect((await rawRequest(server.url, { path: '/ui/index.html' })).body).toEqual(page.body);
  });

  it('serves the built assets with their content types and the same security headers', async () => {
    const html = (await rawRequest(server.url, { path: '/ui/' })).body.toString('utf8');
    const script = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    const style = /href="(\/ui\/assets\/[^"]+\.css)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    expect(style).toBeDefined();
    const js = await rawRequest(server.url, { path: script ?? '' });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    expect(js.headers['content-security-policy']).toBe(uiContentSecurityPolicy);
    const css = await rawRequest(server.url, { path: style ?? '' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('redirects / and /ui to /ui/', async () => {
    for (const path of ['/', '/ui']) {
      const response = await rawRequest(server.url, { path });
      expect(response.status).toBe(302);
      expect(response.headers['location']).toBe('/ui/');
    }
  });

  it('serves nothing outside dist/ui: dot segments, encoded dots, backslashes, unknown names', async () => {
    for (const path of [
      '/ui/../package.json',
      '/ui/%2e%2e/package.json',
      '/ui/assets/..%2f..%2fpackage.json',
      '/ui/..%5c..%5cpackage.json',
      '/ui/assets\\..\\..\\package.json',
    ]) {
      const response = await rawRequest(server.url, { path });
      expect([400, 404], path).toContain(response.status);
      expect(response.body.toString('utf8')).not.toContain('"name": "secrets-agent"');
    }
    for (const path of [
      '/ui/package.json',
      '/ui/assets/',
      '/ui/vite.config.ts',
      '/ui/%2Fetc%2Fpasswd',
      '/ui/main.tsx',
    ]) {
      const response = await rawRequest(server.url, { path });
      expect(response.status, path).toBe(404);
      expect((response.json as { code: string }).code).toBe('ERR_ROUTE_NOT_FOUND');
    }
  });

  it('GET /ui/api/session names the caller, its superuser flag and its own grants; 401 without a token', async () => {
    expect((await call(server.url, '/ui/api/session')).status).toBe(401);
    const admin = await call(server.url, '/ui/api/session', { token: adminToken });
    expect(admin.status).toBe(200);
    expect(admin.headers.get('cache-control')).toBe('no-store');
    expect(admin.body).toEqual({ uid: 'admin', superuser: true, grants: [] });
    const alice = await call(server.url, '/ui/api/session', { token: aliceToken });
    expect(alice.body).toEqual({
      uid: 'alice',
      superuser: false,
      grants: expect.arrayContaining([
        { rid: 'dcos:secrets:default:/team/*', actions: ['read'] },
        { rid: 'dcos:secrets:list:default:/team', actions: ['read'] },
      ]) as unknown,
    });
  });

  it('GET /ui/api/access answers the decisions the Secrets API makes, path by path', async () => {
    const alice = await call(server.url, '/ui/api/access?path=team/db&path=other/x', { token: aliceToken });
    expect(alice.status).toBe(200);
    expect(alice.body).toEqual({
      array: [
        { path: 'team/db', actions: ['read'] },
        { path: 'other/x', actions: [] },
      ],
    });
    const admin = await call(server.url, '/ui/api/access?path=other/x', { token: adminToken });
    expect(admin.body).toEqual({ array: [{ path: 'other/x', actions: ['create', 'read', 'update', 'delete'] }] });
    const bad = await call(server.url, `/ui/api/access?path=${encodeURIComponent('../etc')}`, { token: aliceToken });
    expect(bad.status).toBe(400);
    expect((bad.body as { code: string }).code).toBe('ERR_SECRET_PATH_INVALID');
  });
});

describe('web interface route without the IAM or without a build (issue 14)', () => {
  it('with the bootstrap token only: the session is the superuser `bootstrap` with no grants to list', async () => {
    const store = await startTestStore();
    try {
      const session = await store.request({ path: '/ui/api/session' });
      expect(session.status).toBe(200);
      expect(session.json).toEqual({ uid: 'bootstrap', superuser: true, grants: [] });
    } finally {
      await store.close();
    }
  });

  it('a package built without the interface answers 404 saying to run npm run build', async () => {
    const empty = await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'no-ui-'));
    const router = createRouter({
      routes: createUiRoutes({ access: createBootstrapAccess('unused-token'), dir: empty }),
      access: createBootstrapAccess('unused-token'),
      log: createTestLogger(),
    });
    const http = createServer(router);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const response = await rawRequest(`http://127.0.0.1:${(http.address() as AddressInfo).port}`, { path: '/ui/' });
      expect(response.status).toBe(404);
      expect((response.json as { description: string }).description).toContain('run `npm run build`');
    } finally {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
