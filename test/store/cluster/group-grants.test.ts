// Issue 12.12: a grant to a group, made through one store instance, decides reads on another
// instance sharing the same real ZooKeeper; so do removing the member and deleting the group.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryValue } from '../../helpers/canary.js';
import { startZooKeeperEnsemble, type ZooKeeperEnsemble } from '../../helpers/zookeeper-ensemble.js';
import {
  eventually,
  jsonHeaders,
  secretUrl,
  startStoreCluster,
  type StoreCluster,
  type StoreInstance,
} from './support/cluster.js';

let ensemble: ZooKeeperEnsemble;
let cluster: StoreCluster;
let a: StoreInstance;
let b: StoreInstance;
const appAcl = '/acs/api/v1/acls/dcos:secrets:default:%252Fapp%252F*';

beforeAll(async () => {
  ensemble = await startZooKeeperEnsemble({ members: 1 });
  cluster = await startStoreCluster({ ensemble, rootPath: '/group-grants', instanceIds: ['m1', 'm2'] });
  [a, b] = cluster.instances as [StoreInstance, StoreInstance];
});

afterAll(async () => {
  await cluster?.close();
  await ensemble?.stop();
});

async function expectStatus(instance: StoreInstance, token: string, status: number): Promise<void> {
  await eventually(async () => {
    const response = await instance.request({ path: secretUrl('app/db'), token });
    if (response.status !== status) throw new Error(`GET answered ${response.status}, waiting for ${status}`);
  });
}

describe('group grants across instances on one ZooKeeper', () => {
  it('a member gains read through a group granted on one instance, and loses it there when removed', async () => {
    const put = (path: string, body?: unknown) =>
      a.request({
        method: 'PUT',
        path,
        ...(body === undefined ? {} : { headers: jsonHeaders, body: JSON.stringify(body) }),
      });
    expect((await put(secretUrl('app/db'), { value: canaryValue })).status).toBe(201);
    expect((await put('/acs/api/v1/users/zed', { password: 'zed-password' })).status).toBe(201);
    expect((await put('/acs/api/v1/groups/readers', { description: 'app readers' })).status).toBe(201);
    expect((await put(appAcl)).status).toBe(201);
    expect((await put(`${appAcl}/groups/readers/read`)).status).toBe(204);
    await eventually(async () => {
      if (b.iam.getAccount('zed') === undefined) throw new Error('account not on b yet');
    });
    const zed = await b.iam.issueToken('zed');
    await expectStatus(b, zed, 403);

    expect((await put('/acs/api/v1/groups/readers/users/zed')).status).toBe(204);
    await expectStatus(b, zed, 200);
    const listed = await b.request({ path: '/acs/api/v1/users/zed/groups' });
    expect((listed.json as { array: Array<{ group: { gid: string } }> }).array.map((entry) => entry.group.gid)).toEqual(
      ['readers'],
    );

    expect((await a.request({ method: 'DELETE', path: '/acs/api/v1/groups/readers/users/zed' })).status).toBe(204);
    await expectStatus(b, zed, 403);

    expect((await put('/acs/api/v1/groups/readers/users/zed')).status).toBe(204);
    await expectStatus(b, zed, 200);
    expect((await a.request({ method: 'DELETE', path: '/acs/api/v1/groups/readers' })).status).toBe(204);
    await expectStatus(b, zed, 403);
  });
});
