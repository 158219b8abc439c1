// Issue 12.12: the IAM group endpoints, PATCH /users/{uid} and /users/{uid}/permissions over real
// HTTP against the real store, with the DC/OS shapes; and access decisions through group membership.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryValue } from '../../helpers/canary.js';
import { call, loginWithPassword, type TestRequest, type TestResponse } from './support/http.js';
import { startIamServer, type IamTestServer } from './support/iam-server.js';

let server: IamTestServer;
let admin: string;
const api = '/acs/api/v1';
const appRid = 'dcos:secrets:default:/app/*';
const appAcl = `${api}/acls/dcos:secrets:default:%252Fapp%252F*`;

const as = (token: string, path: string, request: Omit<TestRequest, 'token'> = {}): Promise<TestResponse> =>
  call(server.url, path, { ...request, token });
const adminCall = (path: string, request: Omit<TestRequest, 'token'> = {}): Promise<TestResponse> =>
  as(admin, path, request);
const readApp = async (token: string): Promise<number> => (await as(token, '/secrets/v1/secret/default/app/db')).status;

beforeAll(async () => {
  server = await startIamServer();
  await server.iam.createUser({ uid: 'root', password: 'root-password' });
  await server.iam.grant({ uid: 'root', rid: 'dcos:superuser', action: 'full' }, { createAcl: true });
  admin = await loginWithPassword(server.url, 'root', 'root-password');
  await server.secrets.set('app/db', canaryValue);
});

afterAll(async () => {
  await server.close();
});

describe('groups', () => {
  it('PUT creates (201), a second PUT is 409; GET, list, PATCH and DELETE follow the DC/OS shapes', async () => {
    expect((await adminCall(`${api}/groups/ops`, { method: 'PUT', json: { description: 'Ops' } })).status).toBe(201);
    const again = await adminCall(`${api}/groups/ops`, { method: 'PUT', json: { description: 'Ops 2' } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'ERR_IAM_GROUP_EXISTS' });
    // A body-less PUT makes a group with an empty description.
    expect((await adminCall(`${api}/groups/bare`, { method: 'PUT' })).status).toBe(201);

    expect((await adminCall(`${api}/groups/ops`)).body).toEqual({
      gid: 'ops',
      url: '/acs/api/v1/groups/ops',
      description: 'Ops',
    });
    expect((await adminCall(`${api}/groups`)).body).toEqual({
      array: [
        { gid: 'bare', url: '/acs/api/v1/groups/bare', description: '' },
        { gid: 'ops', url: '/acs/api/v1/groups/ops', description: 'Ops' },
      ],
    });

    const patched = await adminCall(`${api}/groups/ops`, { method: 'PATCH', json: { description: 'Operations' } });
    expect(patched.status).toBe(204);
    expect((await adminCall(`${api}/groups/ops`)).body).toMatchObject({ description: 'Operations' });
    const badPatch = await adminCall(`${api}/groups/ops`, { method: 'PATCH', json: { description: 7 } });
    expect(badPatch.status).toBe(400);
    expect(badPatch.body).toMatchObject({ code: 'ERR_INPUT_INVALID' });

    expect((await adminCall(`${api}/groups/bare`, { method: 'DELETE' })).status).toBe(204);
    expect((await adminCall(`${api}/groups/bare`, { method: 'DELETE' })).status).toBe(404);
    const unknown = await adminCall(`${api}/groups/bare`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'ERR_IAM_GROUP_NOT_FOUND', description: 'Group `bare` not known.' });
    expect((await adminCall(`${api}/groups/bare`, { method: 'PATCH', json: { description: 'x' } })).body).toMatchObject(
      { code: 'ERR_IAM_GROUP_NOT_FOUND' },
    );
    expect((await adminCall(`${api}/groups/..%2Fescape`, { method: 'PUT' })).status).toBe(400);
  });

  it('members: add (204), duplicate 409, list both ways, remove (204), unknown group or user 404', async () => {
    await server.iam.createGroup('devs', 'Developers');
    await server.iam.createUser({ uid: 'dana', password: 'dana-password', description: 'Dana' });
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    await server.iam.createServiceAccount({ uid: 'builder', publicKeyPem: pem });

    expect((await adminCall(`${api}/groups/devs/users/dana`, { method: 'PUT' })).status).toBe(204);
    expect((await adminCall(`${api}/groups/devs/users/builder`, { method: 'PUT' })).status).toBe(204);
    const duplicate = await adminCall(`${api}/groups/devs/users/dana`, { method: 'PUT' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body).toMatchObject({ code: 'ERR_IAM_MEMBER_EXISTS' });
    expect((await adminCall(`${api}/groups/nope/users/dana`, { method: 'PUT' })).body).toMatchObject({
      code: 'ERR_IAM_GROUP_NOT_FOUND',
    });
    const unknownUser = await adminCall(`${api}/groups/devs/users/nobody`, { method: 'PUT' });
    expect(unknownUser.status).toBe(404);
    expect(unknownUser.body).toMatchObject({ code: 'ERR_IAM_ACCOUNT_NOT_FOUND' });

    expect((await adminCall(`${api}/groups/devs/users`)).body).toEqual({
      array: [
        {
          membershipurl: '/acs/api/v1/groups/devs/users/builder',
          user: expect.objectContaining({ uid: 'builder', url: '/acs/api/v1/users/builder', is_service: true }),
        },
        {
          membershipurl: '/acs/api/v1/groups/devs/users/dana',
          user: expect.objectContaining({
            uid: 'dana',
            url: '/acs/api/v1/users/dana',
            description: 'Dana',
            is_service: false,
          }),
        },
      ],
    });
    expect(JSON.stringify((await adminCall(`${api}/groups/devs/users`)).body)).not.toContain('PUBLIC KEY');
    // `?type=` keeps users or service accounts only, as DC/OS does.
    const uidsOf = async (query: string) =>
      (
        (await adminCall(`${api}/groups/devs/users${query}`)).body as { array: Array<{ user: { uid: string } }> }
      ).array.map((entry) => entry.user.uid);
    expect(await uidsOf('?type=service')).toEqual(['builder']);
    expect(await uidsOf('?type=user')).toEqual(['dana']);
    const badType = await adminCall(`${api}/groups/devs/users?type=robot`);
    expect(badType.status).toBe(400);
    expect(badType.body).toMatchObject({ code: 'ERR_INPUT_INVALID' });
    expect((await adminCall(`${api}/users/dana/groups`)).body).toEqual({
      array: [
        {
          membershipurl: '/acs/api/v1/groups/devs/users/dana',
          group: { gid: 'devs', url: '/acs/api/v1/groups/devs', description: 'Developers' },
        },
      ],
    });
    expect((await adminCall(`${api}/users/nobody/groups`)).status).toBe(404);
    expect((await adminCall(`${api}/groups/nope/users`)).status).toBe(404);

    expect((await adminCall(`${api}/groups/devs/users/dana`, { method: 'DELETE' })).status).toBe(204);
    const notMember = await adminCall(`${api}/groups/devs/users/dana`, { method: 'DELETE' });
    expect(notMember.status).toBe(404);
    expect(notMember.body).toMatchObject({ code: 'ERR_IAM_MEMBER_NOT_FOUND' });
    expect((await adminCall(`${api}/users/dana/groups`)).body).toEqual({ array: [] });
  });

  it('group grants: need the group and the ACL; PUT, GET allowed/actions, DELETE; deleting the ACL drops them', async () => {
    await server.iam.createGroup('auditors');
    const grant = `${appAcl}/groups/auditors/read`;
    const missingAcl = await adminCall(grant, { method: 'PUT' });
    expect(missingAcl.status).toBe(404);
    expect(missingAcl.body).toMatchObject({ code: 'ERR_IAM_ACL_NOT_FOUND' });
    expect((await adminCall(appAcl, { method: 'PUT', json: { description: 'app secrets' } })).status).toBe(201);
    expect((await adminCall(`${appAcl}/groups/nope/read`, { method: 'PUT' })).body).toMatchObject({
      code: 'ERR_IAM_GROUP_NOT_FOUND',
    });
    expect((await adminCall(`${appAcl}/groups/auditors/peek`, { method: 'PUT' })).status).toBe(400);

    expect((await adminCall(grant, { method: 'PUT' })).status).toBe(204);
    expect((await adminCall(grant)).body).toEqual({ allowed: true });
    expect((await adminCall(`${appAcl}/groups/auditors/update`)).body).toEqual({ allowed: false });
    expect((await adminCall(`${appAcl}/groups/auditors`)).body).toEqual({
      actions: [{ name: 'read', url: `${appAcl}/groups/auditors/read` }],
    });
    expect((await adminCall(`${api}/groups/auditors/permissions`)).body).toEqual({
      array: [{ rid: appRid, actions: [{ name: 'read', url: `${appAcl}/groups/auditors/read` }] }],
    });

    expect((await adminCall(grant, { method: 'DELETE' })).status).toBe(204);
    expect((await adminCall(grant, { method: 'DELETE' })).status).toBe(404);
    expect((await adminCall(grant)).body).toEqual({ allowed: false });

    expect((await adminCall(grant, { method: 'PUT' })).status).toBe(204);
    expect((await adminCall(appAcl, { method: 'DELETE' })).status).toBe(204);
    expect((await adminCall(`${api}/groups/auditors/permissions`)).body).toEqual({ array: [] });
    expect(server.iam.listAcls().map((acl) => acl.rid)).not.toContain(appRid);
  });
});

describe('permissions through groups', () => {
  it('a user gains read on dcos:secrets:default:/app/* through a group and loses it on removal and on group delete', async () => {
    await server.iam.createUser({ uid: 'gail', password: `${canaryValue}-gail` });
    const gail = await loginWithPassword(server.url, 'gail', `${canaryValue}-gail`);
    expect((await adminCall(appAcl, { method: 'PUT' })).status).toBe(201);
    expect((await adminCall(`${api}/groups/readers`, { method: 'PUT' })).status).toBe(201);
    expect((await adminCall(`${appAcl}/groups/readers/read`, { method: 'PUT' })).status).toBe(204);
    expect(await readApp(gail)).toBe(403);

    expect((await adminCall(`${api}/groups/readers/users/gail`, { method: 'PUT' })).status).toBe(204);
    const read = await as(gail, '/secrets/v1/secret/default/app/db');
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ value: canaryValue });
    // Only what the group holds: read, not update, and not outside /app.
    expect(
      (await as(gail, '/secrets/v1/secret/default/app/db', { method: 'PATCH', json: { value: 'x' } })).status,
    ).toBe(403);
    expect((await adminCall(`${appAcl}/users/gail/read`)).body).toEqual({ allowed: true });

    expect((await adminCall(`${api}/groups/readers/users/gail`, { method: 'DELETE' })).status).toBe(204);
    expect(await readApp(gail)).toBe(403);
    expect((await adminCall(`${appAcl}/users/gail/read`)).body).toEqual({ allowed: false });

    expect((await adminCall(`${api}/groups/readers/users/gail`, { method: 'PUT' })).status).toBe(204);
    expect(await readApp(gail)).toBe(200);
    expect((await adminCall(`${api}/groups/readers`, { method: 'DELETE' })).status).toBe(204);
    expect(await readApp(gail)).toBe(403);

    // A group re-created under the same gid starts empty: no members, no grants from before.
    expect((await adminCall(`${api}/groups/readers`, { method: 'PUT' })).status).toBe(201);
    expect((await adminCall(`${api}/groups/readers/users`)).body).toEqual({ array: [] });
    expect((await adminCall(`${api}/groups/readers/permissions`)).body).toEqual({ array: [] });
    expect(await readApp(gail)).toBe(403);
    await server.iam.deleteGroup('readers');
    await server.iam.deleteAcl(appRid);
  });

  it('a service account in a group gets its grants; a group holding dcos:superuser makes its members superusers', async () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    await server.iam.createServiceAccount({ uid: 'svc-app', publicKeyPem: pem });
    const svc = await server.iam.issueToken('svc-app');
    await server.iam.createGroup('apps');
    await server.iam.grantGroup({ gid: 'apps', rid: appRid, action: 'full' }, { createAcl: true });
    expect(await readApp(svc)).toBe(403);
    await server.iam.addMember('apps', 'svc-app');
    expect(await readApp(svc)).toBe(200);

    expect((await as(svc, `${api}/groups`)).status).toBe(403);
    await server.iam.createGroup('superusers');
    await server.iam.grantGroup({ gid: 'superusers', rid: 'dcos:superuser', action: 'full' }, { createAcl: true });
    await server.iam.addMember('superusers', 'svc-app');
    expect((await as(svc, `${api}/groups`)).status).toBe(200);

    // Deleting the account drops its memberships.
    await server.iam.deleteAccount('svc-app');
    expect(server.iam.listMembers('apps')).toEqual([]);
    expect(server.iam.listMembers('superusers')).toEqual([]);
    await server.iam.deleteGroup('apps');
    await server.iam.deleteGroup('superusers');
  });

  it('GET /users/{uid}/permissions lists direct grants and grants through each group', async () => {
    await server.iam.createUser({ uid: 'perm', password: 'perm-password' });
    await server.iam.grant({ uid: 'perm', rid: 'dcos:secrets:list:default:/app', action: 'read' }, { createAcl: true });
    await server.iam.createGroup('perm-group');
    await server.iam.grantGroup({ gid: 'perm-group', rid: appRid, action: 'read' }, { createAcl: true });
    await server.iam.grantGroup({ gid: 'perm-group', rid: appRid, action: 'update' });
    await server.iam.addMember('perm-group', 'perm');
    const listAcl = `${api}/acls/dcos:secrets:list:default:%252Fapp`;
    expect((await adminCall(`${api}/users/perm/permissions`)).body).toEqual({
      direct: [
        {
          rid: 'dcos:secrets:list:default:/app',
          actions: [{ name: 'read', url: `${listAcl}/users/perm/read` }],
        },
      ],
      groups: [
        {
          rid: appRid,
          gid: 'perm-group',
          actions: [
            { name: 'read', url: `${appAcl}/groups/perm-group/read` },
            { name: 'update', url: `${appAcl}/groups/perm-group/update` },
          ],
        },
      ],
    });
    const unknown = await adminCall(`${api}/users/nobody/permissions`);
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'ERR_IAM_ACCOUNT_NOT_FOUND' });
  });
});

describe('PATCH /users/{uid}', () => {
  it('changes the description and the password (the old one stops working); tokens issued before stay valid', async () => {
    await server.iam.createUser({ uid: 'pat', password: `${canaryValue}-old`, description: 'before' });
    const before = await loginWithPassword(server.url, 'pat', `${canaryValue}-old`);
    const patched = await adminCall(`${api}/users/pat`, {
      method: 'PATCH',
      json: { description: 'after', password: `${canaryValue}-new` },
    });
    expect(patched.status).toBe(204);
    expect((await adminCall(`${api}/users/pat`)).body).toMatchObject({ description: 'after' });
    const old = await call(server.url, `${api}/auth/login`, {
      method: 'POST',
      json: { uid: 'pat', password: `${canaryValue}-old` },
    });
    expect(old.status).toBe(401);
    expect(await loginWithPassword(server.url, 'pat', `${canaryValue}-new`)).toMatch(/^ey/);
    expect((await as(before, '/secrets/v1/secret/default/app/db')).status).toBe(403);

    // Description only leaves the password alone; null fields count as absent.
    expect(
      (await adminCall(`${api}/users/pat`, { method: 'PATCH', json: { description: 'third', password: null } })).status,
    ).toBe(204);
    expect(await loginWithPassword(server.url, 'pat', `${canaryValue}-new`)).toMatch(/^ey/);
  });

  it('refuses unknown users (404), empty changes, short passwords, a service account password and public_key (400)', async () => {
    expect(
      (await adminCall(`${api}/users/nobody`, { method: 'PATCH', json: { description: 'x' } })).body,
    ).toMatchObject({ code: 'ERR_IAM_ACCOUNT_NOT_FOUND' });
    for (const json of [{}, { password: 'short' }, { password: 5 }, { description: 'x'.repeat(1001) }, []]) {
      const response = await adminCall(`${api}/users/root`, { method: 'PATCH', json });
      expect(response.status, JSON.stringify(json)).toBe(400);
      expect(response.body).toMatchObject({ code: 'ERR_INPUT_INVALID' });
    }
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    await server.iam.createServiceAccount({ uid: 'svc-patch', publicKeyPem: pem });
    const password = await adminCall(`${api}/users/svc-patch`, {
      method: 'PATCH',
      json: { password: 'some-long-password' },
    });
    expect(password.status).toBe(400);
    expect(password.text).toContain('/password');
    const key = await adminCall(`${api}/users/svc-patch`, { method: 'PATCH', json: { public_key: pem } });
    expect(key.status).toBe(400);
    expect(key.text).toContain('/public_key');
    expect(
      (await adminCall(`${api}/users/svc-patch`, { method: 'PATCH', json: { description: 'builds' } })).status,
    ).toBe(204);
    expect(server.iam.getAccount('svc-patch')).toMatchObject({ description: 'builds', publicKeyPem: pem });
  });
});

describe('non-superusers', () => {
  it('get 403 on every new endpoint, also when changing their own password (DC/OS has no self-service path)', async () => {
    await server.iam.createUser({ uid: 'plain', password: 'plain-password' });
    const plain = await server.iam.issueToken('plain');
    await server.iam.createGroup('locked');
    const requests: Array<[string, string, unknown?]> = [
      ['GET', `${api}/groups`],
      ['GET', `${api}/groups/locked`],
      ['PUT', `${api}/groups/new-group`, { description: 'x' }],
      ['PATCH', `${api}/groups/locked`, { description: 'x' }],
      ['DELETE', `${api}/groups/locked`],
      ['GET', `${api}/groups/locked/users`],
      ['GET', `${api}/groups/locked/permissions`],
      ['PUT', `${api}/groups/locked/users/plain`],
      ['DELETE', `${api}/groups/locked/users/plain`],
      ['GET', `${api}/users/plain/groups`],
      ['GET', `${api}/users/plain/permissions`],
      ['PATCH', `${api}/users/plain`, { password: 'a-new-password' }],
      ['PATCH', `${api}/users/root`, { password: 'a-new-password' }],
      ['PUT', `${appAcl}/groups/locked/read`],
      ['GET', `${appAcl}/groups/locked/read`],
      ['GET', `${appAcl}/groups/locked`],
      ['DELETE', `${appAcl}/groups/locked/read`],
    ];
    for (const [method, path, json] of requests) {
      const response = await as(plain, path, { method, ...(json === undefined ? {} : { json }) });
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(response.body).toMatchObject({ code: 'ERR_FORBIDDEN' });
      expect((await call(server.url, path, { method })).status, `${method} ${path} without a token`).toBe(401);
    }
    expect(server.iam.getGroup('locked')).toBeDefined();
    expect(server.iam.getGroup('new-group')).toBeUndefined();
    expect(await loginWithPassword(server.url, 'plain', 'plain-password')).toMatch(/^ey/);
  });
});
