// End to end in a real browser (issue 14): Debian's chromium driven by playwright-core against a
// real store on 127.0.0.1:0 with the IAM. One browser for the file, one page per user, reused.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrivateKey, parseServiceAccountCredential } from '../../src/auth/credential.js';
import { createServiceLoginToken } from '../../src/auth/service-login-token.js';
import { decryptPgpMessage, readPgpPrivateKey } from '../../src/crypto/openpgp.js';
import { canaryValue } from '../helpers/canary.js';
import { getTestPgpKeyPair } from '../helpers/pgp-keypair.js';
import { call, loginWithPassword } from '../store/iam/support/http.js';
import { startIamServer, type IamTestServer } from '../store/iam/support/iam-server.js';
import { captureScreens, launchTestBrowser, type TestBrowser } from './support/browser.js';
import { ensureUiBuilt } from './support/ui-build.js';

const adminPassword = 'admin-password-1';
const alicePassword = 'alice-password-1';
const xssPayload = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
// What the browser may log for answers the tests provoke on purpose (403, 409, 413, ...).
const expectedConsoleNoise =
  /^error: Failed to load resource: the server responded with a status of (400|401|403|404|409|413)/;

let server: IamTestServer;
let browser: TestBrowser;
let admin: Page;
let adminToken: string;

beforeAll(async () => {
  ensureUiBuilt();
  server = await startIamServer();
  await server.iam.createUser({ uid: 'admin', password: adminPassword });
  await server.iam.grant({ uid: 'admin', rid: 'dcos:superuser', action: 'full' }, { createAcl: true });
  await server.iam.createUser({ uid: 'alice', password: alicePassword });
  for (const action of ['read', 'create'] as const)
    await server.iam.grant({ uid: 'alice', rid: 'dcos:secrets:default:/team/*', action }, { createAcl: true });
  await server.iam.grant({ uid: 'alice', rid: 'dcos:secrets:list:default:/team', action: 'read' }, { createAcl: true });
  await server.secrets.set('team/db', 'team-db-value');
  await server.secrets.set('other/hidden', 'not-for-alice');
  adminToken = await loginWithPassword(server.url, 'admin', adminPassword);
  browser = await launchTestBrowser();
  admin = await browser.newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function logIn(page: Page, uid: string, password: string): Promise<void> {
  await page.getByLabel('User ID').fill(uid);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText('Signed in as').waitFor();
}

async function statusText(page: Page): Promise<string> {
  const status = page.getByRole('status').first();
  await status.waitFor();
  return (await status.textContent()) ?? '';
}

async function alertText(page: Page): Promise<string> {
  const alert = page.getByRole('alert').first();
  await alert.waitFor();
  return (await alert.textContent()) ?? '';
}

async function openNewSecretForm(page: Page): Promise<void> {
  await page.getByRole('button', { name: '+ New secret' }).click();
  await page.getByRole('form', { name: 'New secret' }).waitFor();
}

// Presses Tab until the focused control's accessible name (aria-label, else its text) is `name`.
async function tabTo(page: Page, name: string): Promise<void> {
  for (let presses = 0; presses < 60; presses += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(
      "(document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent ?? '').trim()",
    );
    if (focused === name) return;
  }
  throw new Error(`Tab never reached a control named ${name}`);
}

async function readDownload(download: Download): Promise<Buffer> {
  return readFile(await download.path());
}

describe('web interface in chromium (issue 14)', () => {
  it('logs in as a superuser; the page has the CSP; the token is in no cookie, storage or URL', async () => {
    const response = await admin.goto(`${server.url}/`);
    expect(admin.url()).toBe(`${server.url}/ui/`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await admin.getByRole('form', { name: 'Log in' }).waitFor();
    await captureScreens(admin, 'login');
    // Keyboard only: Tab into the form, type, Enter submits.
    await admin.keyboard.press('Tab');
    await admin.keyboard.type('admin');
    await admin.keyboard.press('Tab');
    await admin.keyboard.type(adminPassword);
    await admin.keyboard.press('Enter');
    await admin.getByText('Signed in as').waitFor();
    expect(await admin.getByText('Signed in as').textContent()).toContain('admin (superuser)');
    expect(await browser.context.cookies()).toEqual([]);
    expect(await admin.evaluate('localStorage.length + sessionStorage.length')).toBe(0);
    expect(admin.url()).toBe(`${server.url}/ui/`);
  });

  it('creates a text secret and a file secret (stored binary) and lists them; search filters', async () => {
    await openNewSecretForm(admin);
    await admin.getByLabel('ID (path)').fill('app/db-password');
    await admin.getByLabel('Value', { exact: true }).fill(canaryValue);
    await admin.getByLabel('Description', { exact: true }).fill('primary database');
    await admin.getByRole('button', { name: 'Create', exact: true }).click();
    await expect.poll(() => statusText(admin)).toBe('Created secret app/db-password.');

    const fileBytes = randomBytes(1200);
    await openNewSecretForm(admin);
    await admin.getByLabel('ID (path)').fill('app/tls.key');
    await admin.getByLabel('File (stored binary)').check();
    await captureScreens(admin, 'new-file-secret');
    await admin.getByLabel('File', { exact: true }).setInputFiles({
      name: 'tls.key',
      mimeType: 'application/octet-stream',
      buffer: fileBytes,
    });
    await admin.getByRole('button', { name: 'Create', exact: true }).click();
    await expect.poll(() => statusText(admin)).toBe('Created secret app/tls.key.');

    const stored = await server.server.store.secrets.get('app/tls.key');
    expect(stored.type).toBe('binary');
    expect(Buffer.from(stored.bytes).equals(fileBytes)).toBe(true);
    expect(await server.secrets.get('app/db-password')).toBe(canaryValue);

    for (const path of ['app/db-password', 'app/tls.key', 'team/db', 'other/hidden'])
      await admin.getByRole('button', { name: `Secret ${path}` }).waitFor();
    await captureScreens(admin, 'secrets-list');

    await admin.getByRole('searchbox', { name: 'Search' }).fill('tls');
    await admin.getByRole('button', { name: 'Secret app/db-password' }).waitFor({ state: 'detached' });
    expect(await admin.getByRole('button', { name: 'Secret app/tls.key' }).count()).toBe(1);
    await admin.getByRole('searchbox', { name: 'Search' }).fill('');
  });

  it('is usable from the keyboard: Tab reaches a secret, Enter opens it and reveals its value', async () => {
    await tabTo(admin, 'Secret app/db-password');
    await admin.keyboard.press('Enter');
    await admin.getByText('primary database').waitFor();
    await tabTo(admin, 'Reveal value');
    await admin.keyboard.press('Enter');
    expect(await admin.getByLabel('Secret value').textContent()).toBe(canaryValue);
    await tabTo(admin, 'Hide value');
    await admin.keyboard.press('Enter');
    await admin.getByLabel('Value hidden').waitFor();
  });

  it('shows metadata, reveals the value only on click, copies it, and edits it', async () => {
    await admin.getByRole('button', { name: 'Secret app/db-password' }).click();
    await admin.getByText('primary database').waitFor();
    // Masked: the value is nowhere in the page until the click.
    expect(await admin.content()).not.toContain(canaryValue);
    expect(await admin.getByLabel('Value hidden').count()).toBe(1);
    await captureScreens(admin, 'secret-detail');

    await admin.getByRole('button', { name: 'Reveal value' }).click();
    expect(await admin.getByLabel('Secret value').textContent()).toBe(canaryValue);
    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await admin.getByRole('button', { name: 'Copy value' }).click();
    await expect.poll(() => statusText(admin)).toBe('Copied to the clipboard.');
    expect(await admin.evaluate('navigator.clipboard.readText()')).toBe(canaryValue);
    await admin.evaluate("navigator.clipboard.writeText('')");
    await admin.getByRole('button', { name: 'Hide value' }).click();
    expect(await admin.content()).not.toContain(canaryValue);

    await admin.getByRole('button', { name: 'Edit' }).click();
    await admin.getByLabel('Replace the value').check();
    await admin.getByLabel('Value', { exact: true }).fill('rotated-value');
    await admin.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => statusText(admin)).toBe('Updated secret app/db-password.');
    expect(await server.secrets.get('app/db-password')).toBe('rotated-value');

    // An edit of the description alone keeps the value.
    await admin.getByRole('button', { name: 'Edit' }).click();
    await admin.getByLabel('Description', { exact: true }).fill('replica database');
    await admin.getByRole('button', { name: 'Save' }).click();
    // The form closes once the store answered (the status line still says the same as before).
    await admin.getByRole('form', { name: 'Edit secret app/db-password' }).waitFor({ state: 'detached' });
    await admin.getByText('replica database').waitFor();
    const record = await server.server.store.secrets.get('app/db-password');
    expect(Buffer.from(record.bytes).toString('utf8')).toBe('rotated-value');
    expect(record.description).toBe('replica database');
  });

  it('downloads a binary secret as its exact bytes', async () => {
    await admin.getByRole('button', { name: 'Secret app/tls.key' }).click();
    await admin.getByText('file (binary, 1200 bytes)').waitFor();
    const [download] = await Promise.all([
      admin.waitForEvent('download'),
      admin.getByRole('button', { name: 'Download file' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('tls.key');
    const stored = await server.server.store.secrets.get('app/tls.key');
    expect((await readDownload(download)).equals(Buffer.from(stored.bytes))).toBe(true);
  });

  it('shows API errors as the API words them: 409 exists, 413 too large', async () => {
    await openNewSecretForm(admin);
    await admin.getByLabel('ID (path)').fill('app/db-password');
    await admin.getByLabel('Value', { exact: true }).fill('x');
    await admin.getByRole('button', { name: 'Create', exact: true }).click();
    const conflict = await alertText(admin);
    expect(conflict).toMatch(/^409 Conflict: /);
    expect(conflict).toContain('already exists');

    await admin.getByLabel('ID (path)').fill('app/too-big.bin');
    await admin.getByLabel('File (stored binary)').check();
    await admin.getByLabel('File', { exact: true }).setInputFiles({
      name: 'too-big.bin',
      mimeType: 'application/octet-stream',
      buffer: Buffer.alloc(1024 * 1024 + 10, 7),
    });
    await admin.getByRole('button', { name: 'Create', exact: true }).click();
    await admin.getByText(/^413 /).waitFor();
    await expect.poll(() => alertText(admin)).toMatch(/^413 Payload Too Large: .*1047552/);
    await admin.getByRole('button', { name: 'Cancel' }).click();
  });

  it('renders an XSS attempt in a path, a description and a value as inert text', async () => {
    await openNewSecretForm(admin);
    await admin.getByLabel('ID (path)').fill(xssPayload);
    await admin.getByLabel('Value', { exact: true }).fill('x');
    await admin.getByRole('button', { name: 'Create', exact: true }).click();
    const refused = await alertText(admin);
    expect(refused).toMatch(/^400 Bad Request: /);
    expect(refused).toContain('<img src=x onerror=');

    await admin.getByLabel('ID (path)').fill('xss/probe');
    await admin.getByLabel('Value', { exact: true }).fill(xssPayload);
    await admin.getByLabel('Description', { exact: true }).fill(xssPayload);
    await admin.getByRole('button', { name: 'Create', exact: true }).click();
    await expect.poll(() => statusText(admin)).toBe('Created secret xss/probe.');
    await admin.getByRole('button', { name: 'Reveal value' }).click();
    expect(await admin.getByLabel('Secret value').textContent()).toBe(xssPayload);
    expect(await admin.locator('.description').textContent()).toBe(xssPayload);
    expect(await admin.evaluate('window.__xss')).toBeUndefined();
    expect(await admin.locator('#app img, #app script').count()).toBe(0);
  });

  it('deletes only after confirmation', async () => {
    await admin.getByRole('button', { name: 'Secret app/db-password' }).click();
    await admin.getByRole('button', { name: 'Delete', exact: true }).click();
    await admin.getByRole('group', { name: 'Confirm deletion' }).waitFor();
    await captureScreens(admin, 'delete-confirmation');
    await admin.getByRole('button', { name: 'Cancel' }).click();
    expect(await server.secrets.get('app/db-password')).toBe('rotated-value');

    await admin.getByRole('button', { name: 'Delete', exact: true }).click();
    await admin.getByRole('button', { name: 'Delete permanently' }).click();
    await expect.poll(() => statusText(admin)).toBe('Deleted secret app/db-password.');
    await admin.getByRole('button', { name: 'Secret app/db-password' }).waitFor({ state: 'detached' });
    expect(await server.secrets.get('app/db-password')).toBeUndefined();
  });

  it('a restricted user sees only what its grants allow, no controls it cannot use, and the 403 naming the permission', async () => {
    const alice = await browser.newPage();
    try {
      await alice.goto(`${server.url}/ui/`);
      await logIn(alice, 'alice', alicePassword);
      await alice.getByRole('button', { name: 'Secret team/db' }).waitFor();
      expect(await alice.getByRole('button', { name: 'Secret other/hidden' }).count()).toBe(0);
      expect(await alice.getByRole('button', { name: 'Secret app/tls.key' }).count()).toBe(0);
      expect(await alice.getByRole('button', { name: 'Access' }).count()).toBe(0);
      expect(await alice.getByRole('button', { name: 'Seal store' }).count()).toBe(0);

      await alice.getByRole('button', { name: 'Secret team/db' }).click();
      await alice.getByRole('button', { name: 'Reveal value' }).click();
      expect(await alice.getByLabel('Secret value').textContent()).toBe('team-db-value');
      expect(await alice.getByRole('button', { name: 'Edit' }).count()).toBe(0);
      expect(await alice.getByRole('button', { name: 'Delete' }).count()).toBe(0);
      await captureScreens(alice, 'restricted-user');

      await openNewSecretForm(alice);
      await alice.getByLabel('ID (path)').fill('other/x');
      await alice.getByLabel('Value', { exact: true }).fill('x');
      await alice.getByRole('button', { name: 'Create', exact: true }).click();
      await expect
        .poll(() => alertText(alice))
        .toBe('403 Forbidden: Forbidden: `alice` lacks permission `dcos:secrets:default:/other/x` `create`');
      expect(await server.secrets.get('other/x')).toBeUndefined();
    } finally {
      await alice.close();
    }
  });

  it('Access: creates a user, a service account whose credential downloads once and logs in, and grants a path', async () => {
    await admin.getByRole('button', { name: 'Access' }).click();
    await admin.getByRole('heading', { name: 'Users' }).waitFor();
    // The lists arrive together: once admin is listed, the Groups section is there or not for good.
    await admin.getByText('(you)').waitFor();
    expect(await admin.getByRole('button', { name: 'Delete user admin' }).count()).toBe(0);
    expect(await admin.getByRole('button', { name: 'Delete user alice' }).count()).toBe(1);
    const groupsAnswer = await call(server.url, '/acs/api/v1/groups', { token: adminToken });
    expect(await admin.getByRole('heading', { name: 'Groups' }).count()).toBe(groupsAnswer.status === 404 ? 0 : 1);

    const newUser = admin.getByRole('form', { name: 'New user' });
    await newUser.getByLabel('User ID').fill('bob');
    await newUser.getByLabel('Password').fill('bob-password-1');
    await newUser.getByRole('button', { name: 'Create user' }).click();
    await expect.poll(() => statusText(admin)).toBe('Created user bob.');
    expect(server.iam.getAccount('bob')?.kind).toBe('user');

    const newService = admin.getByRole('form', { name: 'New service account' });
    await newService.getByLabel('Service account ID').fill('ci-agent');
    const [download] = await Promise.all([
      admin.waitForEvent('download'),
      newService.getByRole('button', { name: 'Create and download credential' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('ci-agent-credential.json');
    const credential = parseServiceAccountCredential(
      JSON.parse((await readDownload(download)).toString('utf8')),
      'download',
    );
    expect(credential.uid).toBe('ci-agent');
    expect(credential.login_endpoint).toBe(`${server.url}/acs/api/v1/auth/login`);
    const token = createServiceLoginToken({
      uid: 'ci-agent',
      privateKey: parsePrivateKey(credential.private_key, 'download'),
    });
    const login = await call(server.url, '/acs/api/v1/auth/login', {
      method: 'POST',
      json: { uid: 'ci-agent', token },
    });
    expect(login.status).toBe(200);
    await admin.getByText('Created service account ci-agent.').waitFor();

    const grants = admin.getByRole('region', { name: 'Grants' });
    await grants.getByLabel('Account').selectOption('bob');
    await grants.getByText('bob holds no grants.').waitFor();
    await grants.getByLabel('Path (folder or secret; empty for all)').fill('team');
    await grants.getByRole('button', { name: 'Grant', exact: true }).click();
    await grants.getByRole('button', { name: 'Revoke read on dcos:secrets:default:/team/* from bob' }).waitFor();
    expect(server.iam.isAllowed('bob', 'dcos:secrets:default:/team/db', 'read')).toBe(true);
    expect(server.iam.isAllowed('bob', 'dcos:secrets:list:default:/team', 'read')).toBe(true);
    expect(server.iam.isAllowed('bob', 'dcos:secrets:default:/team/db', 'delete')).toBe(false);
    await captureScreens(admin, 'access');

    await grants.getByRole('button', { name: 'Revoke read on dcos:secrets:default:/team/* from bob' }).click();
    await grants.getByRole('button', { name: 'Revoke read on dcos:secrets:default:/team/* from bob' }).waitFor({
      state: 'detached',
    });
    expect(server.iam.isAllowed('bob', 'dcos:secrets:default:/team/db', 'read')).toBe(false);

    // Groups, where the store has them (the section hides itself on a 404): bob reads through a group.
    if (groupsAnswer.status !== 404) {
      const newGroup = admin.getByRole('form', { name: 'New group' });
      await newGroup.getByLabel('Group ID').fill('ops');
      await newGroup.getByRole('button', { name: 'Create group' }).click();
      await expect.poll(() => statusText(admin)).toBe('Created group ops.');
      const addMember = admin.getByRole('form', { name: 'Add a member' });
      await addMember.getByLabel('Group ID').fill('ops');
      await addMember.getByLabel('Member user ID').fill('bob');
      await addMember.getByRole('button', { name: 'Add member' }).click();
      await expect.poll(() => statusText(admin)).toBe('Added bob to ops.');
      await grants.getByLabel('Account or group').selectOption('group ops');
      await grants.getByText('group ops holds no grants.').waitFor();
      await grants.getByLabel('Path (folder or secret; empty for all)').fill('team');
      await grants.getByRole('button', { name: 'Grant', exact: true }).click();
      await grants
        .getByRole('button', { name: 'Revoke read on dcos:secrets:default:/team/* from group ops' })
        .waitFor();
      expect(server.iam.isAllowed('bob', 'dcos:secrets:default:/team/db', 'read')).toBe(true);
    }
    await admin.getByRole('button', { name: 'Secrets', exact: true }).click();
  });

  it('sealing shows the banner and hides everything else; the unseal key brings the store back', async () => {
    const pair = await getTestPgpKeyPair();
    const init = await call(server.url, '/secrets/v1/init/default', { token: adminToken });
    const encrypted = Buffer.from((init.body as { keys: string[] }).keys[0] ?? '', 'hex');
    const unsealKey = Buffer.from(
      await decryptPgpMessage(encrypted, await readPgpPrivateKey(pair.privateKeyArmored, 'test bootstrap key')),
    ).toString('utf8');

    await admin.getByRole('button', { name: 'Seal store' }).click();
    await admin.getByRole('button', { name: 'Seal now' }).click();
    await admin.getByRole('alert', { name: 'Store sealed' }).waitFor();
    expect(server.server.store.seal.sealed).toBe(true);
    expect(await admin.getByRole('button', { name: 'Secrets', exact: true }).count()).toBe(0);
    expect(await admin.getByRole('button', { name: 'Secret app/tls.key' }).count()).toBe(0);
    await captureScreens(admin, 'sealed');

    await admin.getByLabel('Unseal key').fill('00'.repeat(32));
    await admin.getByRole('button', { name: 'Unseal' }).click();
    await admin.getByText(/^400 Bad Request: /).waitFor();
    expect(server.server.store.seal.sealed).toBe(true);

    await admin.getByLabel('Unseal key').fill(unsealKey.trim());
    await admin.getByRole('button', { name: 'Unseal' }).click();
    await admin.getByRole('button', { name: 'Secret app/tls.key' }).waitFor();
    expect(server.server.store.seal.sealed).toBe(false);
  });

  it('logout drops the session: the login form returns and no cookie can stand in for the token', async () => {
    await admin.getByRole('button', { name: 'Log out' }).click();
    await admin.getByRole('form', { name: 'Log in' }).waitFor();
    await expect.poll(() => statusText(admin)).toBe('You logged out.');
    const status = await admin.evaluate(
      async () => (await fetch('/ui/api/session', { credentials: 'include' })).status,
    );
    expect(status).toBe(401);
  });

  it('logged no console error, uncaught exception or CSP violation', () => {
    expect(browser.problems.filter((problem) => !expectedConsoleNoise.test(problem))).toEqual([]);
  });
});

describe('session expiry (issue 14)', () => {
  let shortLived: IamTestServer;

  beforeAll(async () => {
    shortLived = await startIamServer({ tokenLifetimeSeconds: 5 });
    await shortLived.iam.createUser({ uid: 'carol', password: 'carol-password-1' });
  });

  afterAll(async () => {
    await shortLived?.close();
  });

  it('ends the session when the token expires (its exp claim)', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${shortLived.url}/ui/`);
      await logIn(page, 'carol', 'carol-password-1');
      await page.getByText('Your session expired: log in again.').waitFor({ timeout: 20_000 });
      await page.getByRole('form', { name: 'Log in' }).waitFor();
    } finally {
      await page.close();
    }
  });
});
