// Issue 12.12: `secrets-agent iam group ...`, `iam user update` and `iam user permissions`, run
// in-process against the real store server with the real IAM, as a superuser with a token file.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryValue } from '../../helpers/canary.js';
import { call, loginWithPassword } from '../../store/iam/support/http.js';
import { startIamServer, type IamTestServer } from '../../store/iam/support/iam-server.js';
import { makeDataDir } from '../../store/support/temp-storage.js';
import { runBufferedCli as cli } from './support/buffered-cli.js';

let server: IamTestServer;
let dir: string;
let auth: string[];
const appRid = 'dcos:secrets:default:/app/*';

beforeAll(async () => {
  server = await startIamServer();
  await server.iam.createUser({ uid: 'admin', password: canaryValue });
  await server.iam.grant({ uid: 'admin', rid: 'dcos:superuser', action: 'full' }, { createAcl: true });
  dir = await makeDataDir('cli-iam-group-');
  const tokenFile = join(dir, 'admin.token');
  await writeFile(tokenFile, await server.iam.issueToken('admin'), { mode: 0o600 });
  auth = ['--url', server.url, '--token-file', tokenFile, '--state-dir', dir];
  await server.secrets.set('app/db', 'app-db-value');
});

afterAll(async () => {
  await server.close();
});

async function ok(args: readonly string[], stdin?: string): Promise<string> {
  const run = await cli([...args, ...auth], stdin === undefined ? {} : { stdin });
  expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
  return run.stdout;
}

async function readsApp(uid: string): Promise<number> {
  const token = await server.iam.issueToken(uid);
  return (await call(server.url, '/secrets/v1/secret/default/app/db', { token })).status;
}

describe('iam group', () => {
  it('create, list, add-member, grant (creating the ACL), show, revoke, remove-member, delete', async () => {
    await server.iam.createUser({ uid: 'alice', password: 'alice-password', description: 'Alice' });
    expect(await ok(['iam', 'group', 'create', 'readers', '--description', 'App readers'])).toBe(
      'Created group `readers`.\n',
    );
    expect(await ok(['iam', 'group', 'create', 'empty'])).toBe('Created group `empty`.\n');
    expect(await ok(['iam', 'group', 'list'])).toBe('GID      DESCRIPTION\nempty    \nreaders  App readers\n');
    expect(JSON.parse(await ok(['iam', 'group', 'list', '--json']))).toEqual([
      { gid: 'empty', description: '' },
      { gid: 'readers', description: 'App readers' },
    ]);

    expect(await ok(['iam', 'group', 'add-member', 'readers', 'alice'])).toBe('Added `alice` to group `readers`.\n');
    expect(await readsApp('alice')).toBe(403);
    expect(await ok(['iam', 'group', 'grant', 'readers', appRid, 'read', '--description', 'app secrets'])).toBe(
      `Granted \`read\` on \`${appRid}\` to group \`readers\`.\n`,
    );
    expect(server.iam.getAcl(appRid)).toMatchObject({ description: 'app secrets' });
    expect(await readsApp('alice')).toBe(200);
    await ok(['iam', 'group', 'grant', 'readers', 'dcos:secrets:list:default:/app', 'read']);

    expect(await ok(['iam', 'group', 'show', 'readers'])).toBe(
      [
        'GID          readers',
        'DESCRIPTION  App readers',
        'MEMBERS      alice',
        'PERMISSIONS',
        `  ${appRid}  read`,
        '  dcos:secrets:list:default:/app  read',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(await ok(['iam', 'group', 'show', 'readers', '--json']))).toEqual({
      gid: 'readers',
      description: 'App readers',
      members: [{ uid: 'alice', description: 'Alice', is_service: false }],
      permissions: [
        { rid: appRid, actions: ['read'] },
        { rid: 'dcos:secrets:list:default:/app', actions: ['read'] },
      ],
    });

    expect(await ok(['iam', 'group', 'revoke', 'readers', appRid, 'read'])).toBe(
      `Revoked \`read\` on \`${appRid}\` from group \`readers\`.\n`,
    );
    expect(await readsApp('alice')).toBe(403);
    await ok(['iam', 'group', 'grant', 'readers', appRid, 'read']);
    expect(await readsApp('alice')).toBe(200);
    expect(await ok(['iam', 'group', 'remove-member', 'readers', 'alice'])).toBe(
      'Removed `alice` from group `readers`.\n',
    );
    expect(await readsApp('alice')).toBe(403);
    await ok(['iam', 'group', 'add-member', 'readers', 'alice']);
    expect(await ok(['iam', 'group', 'delete', 'readers'])).toBe('Deleted group `readers`.\n');
    expect(await readsApp('alice')).toBe(403);
    expect(server.iam.getGroup('readers')).toBeUndefined();
  });

  it('fails with documented codes and exit 65: unknown group or user, duplicates; 77 for a non-superuser', async () => {
    await server.iam.createGroup('dup');
    await server.iam.createUser({ uid: 'bob', password: 'bob-password' });
    const duplicate = await cli(['iam', 'group', 'create', 'dup', ...auth]);
    expect(duplicate.code).toBe(65);
    expect(duplicate.stderr).toContain('ERR_IAM_GROUP_EXISTS');
    const unknownGroup = await cli(['iam', 'group', 'show', 'nope', ...auth]);
    expect(unknownGroup.code).toBe(65);
    expect(unknownGroup.stderr).toContain('ERR_IAM_GROUP_NOT_FOUND');
    const unknownUser = await cli(['iam', 'group', 'add-member', 'dup', 'nobody', ...auth]);
    expect(unknownUser.code).toBe(65);
    expect(unknownUser.stderr).toContain('ERR_IAM_ACCOUNT_NOT_FOUND');
    await ok(['iam', 'group', 'add-member', 'dup', 'bob']);
    const twice = await cli(['iam', 'group', 'add-member', 'dup', 'bob', ...auth]);
    expect(twice.code).toBe(65);
    expect(twice.stderr).toContain('ERR_IAM_MEMBER_EXISTS');
    const badAction = await cli(['iam', 'group', 'grant', 'dup', appRid, 'peek', ...auth]);
    expect(badAction.code).toBe(64);

    const bobToken = join(dir, 'bob.token');
    await writeFile(bobToken, await server.iam.issueToken('bob'), { mode: 0o600 });
    const forbidden = await cli([
      'iam',
      'group',
      'list',
      '--url',
      server.url,
      '--token-file',
      bobToken,
      '--state-dir',
      dir,
    ]);
    expect(forbidden.code).toBe(77);
    expect(forbidden.stderr).toContain('ERR_FORBIDDEN');
  });
});

describe('iam user update and permissions', () => {
  it('changes the password from a file or stdin (never argv) and the description', async () => {
    await server.iam.createUser({ uid: 'carol', password: 'carol-password-0' });
    const passwordFile = join(dir, 'carol.password');
    await writeFile(passwordFile, `${canaryValue}-carol-1\n`, { mode: 0o600 });
    expect(await ok(['iam', 'user', 'update', 'carol', '--password-file', passwordFile])).toBe(
      'Updated the password of user `carol`.\n',
    );
    expect(await loginWithPassword(server.url, 'carol', `${canaryValue}-carol-1`)).toMatch(/^ey/);

    const viaStdin = await ok(
      ['iam', 'user', 'update', 'carol', '--password-file', '-', '--description', 'Carol C.'],
      `${canaryValue}-carol-2\n`,
    );
    expect(viaStdin).toBe('Updated the description and password of user `carol`.\n');
    expect(await loginWithPassword(server.url, 'carol', `${canaryValue}-carol-2`)).toMatch(/^ey/);
    expect(server.iam.getAccount('carol')).toMatchObject({ description: 'Carol C.' });

    expect(await ok(['iam', 'user', 'update', 'carol', '--description', 'Carol'])).toBe(
      'Updated the description of user `carol`.\n',
    );
    expect(await loginWithPassword(server.url, 'carol', `${canaryValue}-carol-2`)).toMatch(/^ey/);

    const nothing = await cli(['iam', 'user', 'update', 'carol', ...auth]);
    expect(nothing.code).toBe(64);
    // There is no flag that takes the password itself.
    const inArgv = await cli(['iam', 'user', 'update', 'carol', '--password', 'in-argv-password', ...auth]);
    expect(inArgv.code).toBe(64);
    const unknown = await cli(['iam', 'user', 'update', 'nobody', '--description', 'x', ...auth]);
    expect(unknown.code).toBe(65);
    expect(unknown.stderr).toContain('ERR_IAM_ACCOUNT_NOT_FOUND');
  });

  it('lists direct grants and grants through groups, as a table and as JSON', async () => {
    await server.iam.createUser({ uid: 'dave', password: 'dave-password' });
    await server.iam.grant({ uid: 'dave', rid: 'dcos:secrets:list:default:/app', action: 'read' }, { createAcl: true });
    await server.iam.createGroup('writers');
    await server.iam.grantGroup({ gid: 'writers', rid: appRid, action: 'update' }, { createAcl: true });
    await server.iam.grantGroup({ gid: 'writers', rid: appRid, action: 'read' });
    await server.iam.addMember('writers', 'dave');
    expect(await ok(['iam', 'user', 'permissions', 'dave'])).toBe(
      [
        'RID                             ACTIONS      VIA',
        'dcos:secrets:list:default:/app  read         (direct)',
        `${appRid}     read,update  group writers`,
        '',
      ].join('\n'),
    );
    expect(JSON.parse(await ok(['iam', 'user', 'permissions', 'dave', '--json']))).toEqual({
      direct: [{ rid: 'dcos:secrets:list:default:/app', actions: ['read'] }],
      groups: [{ rid: appRid, gid: 'writers', actions: ['read', 'update'] }],
    });
  });
});
