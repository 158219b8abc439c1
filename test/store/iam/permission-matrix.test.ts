import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AccessAction } from '../../../src/store/http/access.js';
import { canaryValue } from '../../helpers/canary.js';
import { call } from './support/http.js';
import { startIamServer, type IamTestServer } from './support/iam-server.js';

// docs/decisions.md#rid-matching, checked over real HTTP: one fresh account per cell, holding one grant.
type Operation = 'read' | 'create' | 'update' | 'delete' | 'list';
type Column = 'exact rid' | '/* rid' | 'parent folder rid' | 'sibling folder rid' | 'full' | 'no grant';

const actionOf: Record<Operation, AccessAction> = {
  read: 'read',
  create: 'create',
  update: 'update',
  delete: 'delete',
  list: 'read',
};
const successStatus: Record<Operation, number> = { read: 200, create: 201, update: 204, delete: 204, list: 200 };

// The grant each column gives for an operation on secret `team/app/db` (listing: folder `team/app`).
function grantFor(operation: Operation, column: Column): { rid: string; action: AccessAction } | undefined {
  const action = actionOf[operation];
  const list = operation === 'list';
  switch (column) {
    case 'exact rid':
      return { rid: list ? 'dcos:secrets:list:default:/team/app' : 'dcos:secrets:default:/team/app/db', action };
    case '/* rid':
      return { rid: list ? 'dcos:secrets:list:default:/team/app/*' : 'dcos:secrets:default:/team/app/*', action };
    case 'parent folder rid':
      return { rid: list ? 'dcos:secrets:list:default:/team' : 'dcos:secrets:default:/team/app', action };
    case 'sibling folder rid':
      return { rid: list ? 'dcos:secrets:list:default:/team/web' : 'dcos:secrets:default:/team/web/*', action };
    case 'full':
      return {
        rid: list ? 'dcos:secrets:list:default:/team/app' : 'dcos:secrets:default:/team/app/db',
        action: 'full',
      };
    case 'no grant':
      return undefined;
  }
}

const expected: Record<Operation, Record<Column, 'allow' | 'deny'>> = {
  read: {
    'exact rid': 'allow',
    '/* rid': 'allow',
    'parent folder rid': 'deny',
    'sibling folder rid': 'deny',
    full: 'allow',
    'no grant': 'deny',
  },
  create: {
    'exact rid': 'allow',
    '/* rid': 'allow',
    'parent folder rid': 'deny',
    'sibling folder rid': 'deny',
    full: 'allow',
    'no grant': 'deny',
  },
  update: {
    'exact rid': 'allow',
    '/* rid': 'allow',
    'parent folder rid': 'deny',
    'sibling folder rid': 'deny',
    full: 'allow',
    'no grant': 'deny',
  },
  delete: {
    'exact rid': 'allow',
    '/* rid': 'allow',
    'parent folder rid': 'deny',
    'sibling folder rid': 'deny',
    full: 'allow',
    'no grant': 'deny',
  },
  // Listing folder P is allowed by a list rid on P or on any ancestor of P.
  list: {
    'exact rid': 'allow',
    '/* rid': 'allow',
    'parent folder rid': 'allow',
    'sibling folder rid': 'deny',
    full: 'allow',
    'no grant': 'deny',
  },
};

const cells = (Object.keys(expected) as Operation[]).flatMap((operation) =>
  (Object.keys(expected[operation]) as Column[]).map((column) => ({
    operation,
    column,
    outcome: expected[operation][column],
  })),
);

let server: IamTestServer;
let publicKeyPem: string;
let accountNumber = 0;

beforeAll(async () => {
  server = await startIamServer();
  publicKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .publicKey.export({ type: 'spki', format: 'pem' })
    .toString();
});

afterAll(async () => {
  await server.close();
});

beforeEach(async () => {
  await server.secrets.clear();
  await server.secrets.set('team/app/db', canaryValue);
  await server.secrets.set('team/web/db', 'other');
});

// A new service account with exactly the given grants, and a token for it.
async function accountWith(
  grants: ReadonlyArray<{ rid: string; action: AccessAction }>,
): Promise<{ uid: string; token: string }> {
  accountNumber += 1;
  const uid = `matrix-${accountNumber}`;
  await server.iam.createServiceAccount({ uid, publicKeyPem });
  for (const grant of grants) await server.iam.grant({ uid, ...grant }, { createAcl: true });
  return { uid, token: await server.iam.issueToken(uid) };
}

async function perform(
  operation: Operation,
  token: string,
  path = 'team/app/db',
): Promise<{ status: number; body: unknown }> {
  const url = `/secrets/v1/secret/default/${path}`;
  switch (operation) {
    case 'read':
      return call(server.url, url, { token });
    case 'create':
      await server.secrets.delete(path);
      return call(server.url, url, { method: 'PUT', token, json: { value: 'new' } });
    case 'update':
      return call(server.url, url, { method: 'PATCH', token, json: { value: 'changed' } });
    case 'delete':
      return call(server.url, url, { method: 'DELETE', token });
    case 'list':
      return call(server.url, `/secrets/v1/secret/default/${path.split('/').slice(0, -1).join('/')}?list=true`, {
        token,
      });
  }
}

describe('permission matrix over HTTP', () => {
  it.each(cells)('$operation with $column -> $outcome', async ({ operation, column, outcome }) => {
    const grant = grantFor(operation, column);
    const { token } = await accountWith(grant === undefined ? [] : [grant]);
    const response = await perform(operation, token);
    if (outcome === 'allow') {
      expect(response.status).toBe(successStatus[operation]);
    } else {
      expect(response.status).toBe(403);
      const rid = operation === 'list' ? 'dcos:secrets:list:default:/team/app' : 'dcos:secrets:default:/team/app/db';
      expect(response.body).toMatchObject({ title: 'Forbidden', code: 'ERR_FORBIDDEN' });
      const description = (response.body as { description: string }).description;
      expect(description).toContain(rid);
      expect(description).toContain(`\`${actionOf[operation]}\``);
      expect(await server.secrets.get('team/app/db')).toBe(operation === 'create' ? undefined : canaryValue);
    }
  });
});

describe('matching details', () => {
  const cases: Array<{
    name: string;
    grants: Array<{ rid: string; action: AccessAction }>;
    operation: Operation;
    path?: string;
    outcome: 'allow' | 'deny';
  }> = [
    {
      name: 'a `/*` rid on an ancestor folder covers deeper secrets',
      grants: [{ rid: 'dcos:secrets:default:/team/*', action: 'read' }],
      operation: 'read',
      outcome: 'allow',
    },
    {
      name: 'the root `/*` rid covers every secret',
      grants: [{ rid: 'dcos:secrets:default:/*', action: 'read' }],
      operation: 'read',
      outcome: 'allow',
    },
    {
      name: 'the leading `/` after the store is optional',
      grants: [{ rid: 'dcos:secrets:default:team/app/db', action: 'read' }],
      operation: 'read',
      outcome: 'allow',
    },
    {
      name: 'a `/*` rid does not cover the folder path itself',
      grants: [{ rid: 'dcos:secrets:default:/team/app/db/*', action: 'read' }],
      operation: 'read',
      outcome: 'deny',
    },
    {
      name: 'another action on the same rid does not help',
      grants: [{ rid: 'dcos:secrets:default:/team/app/db', action: 'read' }],
      operation: 'update',
      outcome: 'deny',
    },
    {
      name: 'create does not imply read',
      grants: [{ rid: 'dcos:secrets:default:/team/app/db', action: 'create' }],
      operation: 'read',
      outcome: 'deny',
    },
    {
      name: 'another store does not count',
      grants: [{ rid: 'dcos:secrets:other:/team/app/db', action: 'full' }],
      operation: 'read',
      outcome: 'deny',
    },
    {
      name: 'a rid that is a string prefix but not a folder does not count',
      grants: [{ rid: 'dcos:secrets:default:/team/ap/*', action: 'read' }],
      operation: 'read',
      outcome: 'deny',
    },
    {
      name: 'a secret read grant does not allow listing',
      grants: [{ rid: 'dcos:secrets:default:/team/app/*', action: 'full' }],
      operation: 'list',
      outcome: 'deny',
    },
    {
      name: 'a list grant does not allow reading',
      grants: [{ rid: 'dcos:secrets:list:default:/', action: 'read' }],
      operation: 'read',
      outcome: 'deny',
    },
    {
      name: 'the root list rid `/` allows listing any folder',
      grants: [{ rid: 'dcos:secrets:list:default:/', action: 'read' }],
      operation: 'list',
      outcome: 'allow',
    },
    {
      name: 'a list rid on a subfolder does not allow listing its parent',
      grants: [{ rid: 'dcos:secrets:list:default:/team/app/db', action: 'read' }],
      operation: 'list',
      outcome: 'deny',
    },
    {
      name: 'dcos:superuser full allows everything',
      grants: [{ rid: 'dcos:superuser', action: 'full' }],
      operation: 'delete',
      outcome: 'allow',
    },
    {
      name: 'dcos:superuser read is not superuser',
      grants: [{ rid: 'dcos:superuser', action: 'read' }],
      operation: 'read',
      outcome: 'deny',
    },
  ];

  it.each(cases)('$name', async ({ grants, operation, path, outcome }) => {
    const { token } = await accountWith(grants);
    const response = await perform(operation, token, path);
    expect(response.status).toBe(outcome === 'allow' ? successStatus[operation] : 403);
  });

  it('lists the root folder only with the root list rid', async () => {
    const rooted = await accountWith([{ rid: 'dcos:secrets:list:default:/', action: 'read' }]);
    const scoped = await accountWith([{ rid: 'dcos:secrets:list:default:/team', action: 'read' }]);
    expect((await call(server.url, '/secrets/v1/secret/default/?list=true', { token: rooted.token })).status).toBe(200);
    const denied = await call(server.url, '/secrets/v1/secret/default/?list=true', { token: scoped.token });
    expect(denied.status).toBe(403);
    expect((denied.body as { description: string }).description).toContain('dcos:secrets:list:default:/');
  });

  it('a revoke takes effect on the very next request (nothing cached)', async () => {
    const { uid, token } = await accountWith([{ rid: 'dcos:secrets:default:/team/app/db', action: 'read' }]);
    expect((await perform('read', token)).status).toBe(200);
    await server.iam.revoke({ uid, rid: 'dcos:secrets:default:/team/app/db', action: 'read' });
    expect((await perform('read', token)).status).toBe(403);
    await server.iam.grant({ uid, rid: 'dcos:secrets:default:/team/app/db', action: 'read' });
    expect((await perform('read', token)).status).toBe(200);
  });

  it('deleting the ACL removes every grant on it', async () => {
    const { token } = await accountWith([{ rid: 'dcos:secrets:default:/team/acl-gone', action: 'read' }]);
    await server.secrets.set('team/acl-gone', 'x');
    expect((await perform('read', token, 'team/acl-gone')).status).toBe(200);
    await server.iam.deleteAcl('dcos:secrets:default:team/acl-gone');
    expect((await perform('read', token, 'team/acl-gone')).status).toBe(403);
  });
});
