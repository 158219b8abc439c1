import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, loginWithPassword } from './support/http.js';
import { startIamServer, type IamTestServer } from './support/iam-server.js';

// The IAM administration API (docs/wire-formats.md#iam-administration) over real HTTP, as the DC/OS docs' curl
// commands use it.
let server: IamTestServer;
let admin: string;
const publicKeyPem = (bits = 2048): string =>
  generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

beforeAll(async () => {
  server = await startIamServer();
  await server.iam.createUser({ uid: 'root', password: 'root-password' });
  await server.iam.grant({ uid: 'root', rid: 'dcos:superuser', action: 'full' }, { createAcl: true });
  admin = await loginWithPassword(server.url, 'root', 'root-password');
});

afterAll(async () => {
  await server.close();
});

describe('users and service accounts', () => {
  it('PUT creates a user (201), a second PUT is 409, GET and DELETE work', async () => {
    const created = await call(server.url, '/acs/api/v1/users/alice', {
      method: 'PUT',
      token: admin,
      json: { description: 'Alice', password: 'alice-password' },
    });
    expect(created.status).toBe(201);
    const again = await call(server.url, '/acs/api/v1/users/alice', {
      method: 'PUT',
      token: admin,
      json: { password: 'alice-password-2' },
    });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'ERR_IAM_ACCOUNT_EXISTS' });
    const got = await call(server.url, '/acs/api/v1/users/alice', { token: admin });
    expect(got.body).toEqual({
      uid: 'alice',
      url: '/acs/api/v1/users/alice',
      description: 'Alice',
      is_remote: false,
      is_service: false,
      provider_type: 'internal',
      provider_id: '',
    });
    expect(got.text).not.toContain('scrypt');
    expect(await loginWithPassword(server.url, 'alice', 'alice-password')).toMatch(/^ey/);
    expect((await call(server.url, '/acs/api/v1/users/alice', { method: 'DELETE', token: admin })).status).toBe(204);
    expect((await call(server.url, '/acs/api/v1/users/alice', { token: admin })).status).toBe(404);
    expect((await call(server.url, '/acs/api/v1/users/alice', { method: 'DELETE', token: admin })).status).toBe(404);
  });

  it('PUT with public_key creates a service account; ?type=service lists only those', async () => {
    const pem = publicKeyPem();
    expect(
      (
        await call(server.url, '/acs/api/v1/users/svc-one', {
          method: 'PUT',
          token: admin,
          json: { description: 'svc', public_key: pem },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await call(server.url, '/acs/api/v1/users/bob', {
          method: 'PUT',
          token: admin,
          json: { password: 'bob-password' },
        })
      ).status,
    ).toBe(201);
    const services = await call(server.url, '/acs/api/v1/users?type=service', { token: admin });
    expect(services.body).toEqual({
      array: [expect.objectContaining({ uid: 'svc-one', is_service: true, public_key: pem })],
    });
    const users = await call(server.url, '/acs/api/v1/users', { token: admin });
    expect((users.body as { array: Array<{ uid: string }> }).array.map((user) => user.uid)).toEqual(['bob', 'root']);
  });

  const badBodies: Array<[string, unknown]> = [
    ['both password and public_key', { password: 'password-1', public_key: 'x' }],
    ['neither', { description: 'x' }],
    ['a short password', { password: 'short' }],
    [
      'a private key as public_key',
      {
        public_key: generateKeyPairSync('rsa', { modulusLength: 2048 })
          .privateKey.export({ type: 'pkcs8', format: 'pem' })
          .toString(),
      },
    ],
    ['a 1024-bit key', { public_key: publicKeyPem(1024) }],
    [
      'an EC key',
      {
        public_key: generateKeyPairSync('ec', { namedCurve: 'P-256' })
          .publicKey.export({ type: 'spki', format: 'pem' })
          .toString(),
      },
    ],
    ['a non-string password', { password: 12345678 }],
  ];

  it.each(badBodies)('refuses %s with 400 and creates nothing', async (_name, json) => {
    const response = await call(server.url, '/acs/api/v1/users/badly-made', { method: 'PUT', token: admin, json });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'ERR_INPUT_INVALID' });
    expect(server.iam.getAccount('badly-made')).toBeUndefined();
  });

  it('refuses uids that could escape the storage key space', async () => {
    for (const uid of ['..x', '.hidden', 'a%2Fb', 'a%00', 'x'.repeat(97)]) {
      const response = await call(server.url, `/acs/api/v1/users/${uid}`, {
        method: 'PUT',
        token: admin,
        json: { password: 'password-1' },
      });
      expect(response.status, uid).toBe(400);
    }
    // `..` itself never survives URL parsing; the programmatic API refuses it too.
    await expect(server.iam.createUser({ uid: '..', password: 'password-1' })).rejects.toMatchObject({
      code: 'ERR_INPUT_INVALID',
    });
  });

  it('needs dcos:superuser full: other accounts get 403 naming the permission, no token 401', async () => {
    await server.iam.createUser({ uid: 'carol', password: 'carol-password' });
    await server.iam.grant({ uid: 'carol', rid: 'dcos:secrets:default:/*', action: 'full' }, { createAcl: true });
    const carol = await loginWithPassword(server.url, 'carol', 'carol-password');
    for (const [method, path] of [
      ['GET', '/acs/api/v1/users'],
      ['PUT', '/acs/api/v1/users/x1'],
      ['DELETE', '/acs/api/v1/users/root'],
      ['GET', '/acs/api/v1/acls'],
      ['PUT', '/acs/api/v1/acls/dcos:superuser/users/carol/full'],
    ] as const) {
      const json = method === 'PUT' ? { password: 'password-1' } : undefined;
      const response = await call(server.url, path, { method, token: carol, ...(json === undefined ? {} : { json }) });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect((response.body as { description: string }).description).toContain('`dcos:superuser` `full`');
      expect((await call(server.url, path, { method })).status).toBe(401);
    }
    expect(server.iam.isAllowed('carol', 'dcos:superuser', 'full')).toBe(false);
  });
});

describe('ACLs and grants with %252F-encoded rids', () => {
  it('follows the DC/OS docs: create the ACL, grant, query, then the grantee reads', async () => {
    await server.iam.createUser({ uid: 'dev', password: 'dev-password' });
    // curl -X PUT .../acs/api/v1/acls/dcos:secrets:default:%252Fdevelopers%252Fdatabase%252F* -d '{"description":...}'
    const rid = 'dcos:secrets:default:%252Fdevelopers%252Fdatabase%252F*';
    expect(
      (
        await call(server.url, `/acs/api/v1/acls/${rid}`, {
          method: 'PUT',
          token: admin,
          json: { description: 'developers database' },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await call(server.url, `/acs/api/v1/acls/${rid}`, {
          method: 'PUT',
          token: admin,
          json: { description: 'again' },
        })
      ).status,
    ).toBe(409);
    expect(
      (await call(server.url, `/acs/api/v1/acls/${rid}/users/dev/read`, { method: 'PUT', token: admin })).status,
    ).toBe(204);
    expect((await call(server.url, `/acs/api/v1/acls/${rid}/users/dev/read`, { token: admin })).body).toEqual({
      allowed: true,
    });
    expect((await call(server.url, `/acs/api/v1/acls/${rid}/users/dev/update`, { token: admin })).body).toEqual({
      allowed: false,
    });
    // The same rid single-encoded, and with the leading slash left out, names the same ACL.
    expect(
      (
        await call(server.url, '/acs/api/v1/acls/dcos:secrets:default:%2Fdevelopers%2Fdatabase%2F*/users/dev/read', {
          token: admin,
        })
      ).body,
    ).toEqual({ allowed: true });
    expect(
      (
        await call(server.url, '/acs/api/v1/acls/dcos:secrets:default:developers%2Fdatabase%2F*/users/dev/read', {
          token: admin,
        })
      ).body,
    ).toEqual({ allowed: true });
    expect((await call(server.url, `/acs/api/v1/acls/${rid}/users/dev`, { token: admin })).body).toEqual({
      actions: [{ name: 'read', url: `/acs/api/v1/acls/${rid}/users/dev/read` }],
    });

    const acls = await call(server.url, '/acs/api/v1/acls', { token: admin });
    expect((acls.body as { array: unknown[] }).array).toContainEqual({
      rid: 'dcos:secrets:default:/developers/database/*',
      url: `/acs/api/v1/acls/${rid}`,
      description: 'developers database',
    });
    expect((await call(server.url, `/acs/api/v1/acls/${rid}`, { token: admin })).body).toMatchObject({
      rid: 'dcos:secrets:default:/developers/database/*',
    });

    await server.secrets.set('developers/database/password', 'pw');
    const dev = await loginWithPassword(server.url, 'dev', 'dev-password');
    expect(
      (await call(server.url, '/secrets/v1/secret/default/developers/database/password', { token: dev })).status,
    ).toBe(200);

    expect(
      (await call(server.url, `/acs/api/v1/acls/${rid}/users/dev/read`, { method: 'DELETE', token: admin })).status,
    ).toBe(204);
    expect(
      (await call(server.url, `/acs/api/v1/acls/${rid}/users/dev/read`, { method: 'DELETE', token: admin })).status,
    ).toBe(404);
    expect(
      (await call(server.url, '/secrets/v1/secret/default/developers/database/password', { token: dev })).status,
    ).toBe(403);
    expect((await call(server.url, `/acs/api/v1/acls/${rid}`, { method: 'DELETE', token: admin })).status).toBe(204);
    expect((await call(server.url, `/acs/api/v1/acls/${rid}`, { token: admin })).status).toBe(404);
  });

  it('granting needs an existing ACL, account and a known action', async () => {
    expect(
      (
        await call(server.url, '/acs/api/v1/acls/dcos:secrets:default:%252Fnope/users/root/read', {
          method: 'PUT',
          token: admin,
        })
      ).body,
    ).toMatchObject({ code: 'ERR_IAM_ACL_NOT_FOUND' });
    await call(server.url, '/acs/api/v1/acls/dcos:secrets:default:%252Fyes', { method: 'PUT', token: admin, json: {} });
    expect(
      (
        await call(server.url, '/acs/api/v1/acls/dcos:secrets:default:%252Fyes/users/ghost/read', {
          method: 'PUT',
          token: admin,
        })
      ).body,
    ).toMatchObject({ code: 'ERR_IAM_ACCOUNT_NOT_FOUND' });
    const badAction = await call(server.url, '/acs/api/v1/acls/dcos:secrets:default:%252Fyes/users/root/write', {
      method: 'PUT',
      token: admin,
    });
    expect(badAction.status).toBe(400);
    expect((badAction.body as { description: string }).description).toContain('create, read, update, delete, full');
  });

  it('refuses rids with characters outside the rid alphabet, also when triple-encoded', async () => {
    for (const rid of ['dcos:secrets:default:%252Fa%2520b', 'dcos:secrets:default:%25252Fa', 'bad%ZZ']) {
      const response = await call(server.url, `/acs/api/v1/acls/${rid}`, { method: 'PUT', token: admin, json: {} });
      expect(response.status, rid).toBe(400);
    }
  });
});
