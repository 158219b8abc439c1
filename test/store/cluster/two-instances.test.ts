// Issue 7: two store instances on one real 3-member ZooKeeper ensemble, over real HTTP. They share
// secrets, the keyring and the IAM; seal state is per instance; the change feed works across them.
import { beforeAll, describe, expect, it } from 'vitest';
import { canaryValue } from '../../helpers/canary.js';
import { useZooKeeperEnsemble } from '../../helpers/zookeeper-fixture.js';
import {
  eventually,
  jsonHeaders,
  secretUrl,
  startStoreCluster,
  valueOf,
  type StoreCluster,
  type StoreInstance,
} from './support/cluster.js';

const zk = useZooKeeperEnsemble({ members: 3 });
let cluster: StoreCluster;
let a: StoreInstance;
let b: StoreInstance;

beforeAll(async () => {
  cluster = zk.track(
    await startStoreCluster({ ensemble: zk.ensemble, rootPath: '/two-instances', instanceIds: ['m1', 'm2'] }),
  );
  [a, b] = cluster.instances as [StoreInstance, StoreInstance];
});

const put = (instance: StoreInstance, path: string, body: unknown): ReturnType<StoreInstance['request']> =>
  instance.request({ method: 'PUT', path: secretUrl(path), headers: jsonHeaders, body: JSON.stringify(body) });
const patch = (instance: StoreInstance, path: string, body: unknown): ReturnType<StoreInstance['request']> =>
  instance.request({ method: 'PATCH', path: secretUrl(path), headers: jsonHeaders, body: JSON.stringify(body) });

describe('two store instances on one ensemble', () => {
  it('a write through one is read through the other (its keyring decrypts it), and a delete too', async () => {
    expect((await put(a, 'common/db', { value: canaryValue })).status).toBe(201);
    const startedMs = Date.now();
    expect(await eventually(async () => valueOf(await b.request({ path: secretUrl('common/db') })))).toBe(canaryValue);
    // Observed propagation delay; the bench reports the distribution (the issue asks for < 1 s).
    expect(Date.now() - startedMs).toBeLessThan(10_000);
    expect((await b.request({ path: `${secretUrl('common')}?list=true` })).json).toEqual({ array: ['db'] });

    expect((await b.request({ method: 'DELETE', path: secretUrl('common/db') })).status).toBe(204);
    await eventually(async () => {
      const response = await a.request({ path: secretUrl('common/db') });
      if (response.status !== 404) throw new Error(`still ${response.status}`);
    });
  });

  it('serves reads from its local mirror: with every ZooKeeper member frozen, GETs still answer at once', async () => {
    expect((await put(a, 'mirror/key', { value: 'from-mirror' })).status).toBe(201);
    await eventually(async () => valueOf(await b.request({ path: secretUrl('mirror/key') })));
    await Promise.all(zk.ensemble.members.map((member) => member.kill('SIGSTOP')));
    try {
      // A ZooKeeper round trip could not complete now; these can only come from memory.
      for (let round = 0; round < 20; round += 1) {
        expect(valueOf(await b.request({ path: secretUrl('mirror/key') }))).toBe('from-mirror');
        expect(valueOf(await a.request({ path: secretUrl('mirror/key') }))).toBe('from-mirror');
      }
    } finally {
      await Promise.all(zk.ensemble.members.map((member) => member.kill('SIGCONT')));
    }
    await zk.ensemble.waitServing();
  });

  it('a second create of one path gets 409 on every instance, also when both race', async () => {
    expect((await put(a, 'once/first', { value: '1' })).status).toBe(201);
    for (const instance of [a, b]) {
      const again = await put(instance, 'once/first', { value: '2' });
      expect(again.status).toBe(409);
      expect(again.json).toMatchObject({
        code: 'ERR_SECRET_EXISTS',
        description: 'Secret `once/first` already exists',
      });
    }
    for (let round = 0; round < 15; round += 1) {
      const path = `once/race-${round}`;
      const [fromA, fromB] = await Promise.all([put(a, path, { value: 'a' }), put(b, path, { value: 'b' })]);
      expect([fromA.status, fromB.status].sort()).toEqual([201, 409]);
      const winner = fromA.status === 201 ? 'a' : 'b';
      for (const instance of [a, b])
        expect(await eventually(async () => valueOf(await instance.request({ path: secretUrl(path) })))).toBe(winner);
    }
  });

  it('an update or delete through one instance right after a create through the other never answers 404', async () => {
    // Regression (issue 7): the updating instance's mirror may not have the new key yet.
    for (let round = 0; round < 20; round += 1) {
      expect((await put(a, `fresh/k${round}`, { value: 'created' })).status).toBe(201);
      expect((await patch(b, `fresh/k${round}`, { value: 'updated' })).status).toBe(204);
      expect((await a.request({ method: 'DELETE', path: secretUrl(`fresh/k${round}`) })).status).toBe(204);
    }
  });

  it('concurrent updates of one secret through both instances lose no acknowledged update', async () => {
    expect((await put(a, 'contended/key', { value: 'v0' })).status).toBe(201);
    for (let round = 1; round <= 15; round += 1) {
      // Each side changes a different field: a write based on a stale read would silently drop the other's.
      const [fromA, fromB] = await Promise.all([
        patch(a, 'contended/key', { value: `a${round}`, description: `d${round}` }),
        patch(b, 'contended/key', { value: `b${round}`, labels: [`l${round}`] }),
      ]);
      expect([fromA.status, fromB.status]).toEqual([204, 204]);
      const seen = await Promise.all(
        [a, b].map((instance) =>
          eventually(async () => {
            const record = (await instance.request({ path: secretUrl('contended/key') })).json as {
              value: string;
              description?: string;
              labels?: string[];
            };
            if (record.description !== `d${round}` || record.labels?.[0] !== `l${round}`)
              throw new Error(`not yet: ${JSON.stringify(record)}`);
            return record;
          }),
        ),
      );
      // Both acknowledged updates are in, and both instances agree on which came last.
      expect([`a${round}`, `b${round}`]).toContain(seen[0]?.value);
      await eventually(async () => {
        const values = await Promise.all(
          [a, b].map(async (instance) => valueOf(await instance.request({ path: secretUrl('contended/key') }))),
        );
        if (values[0] !== values[1]) throw new Error(`instances disagree: ${values.join(' / ')}`);
      });
    }
  });

  it('shares the IAM: a user created through one logs in through the other; tokens of each are accepted by both', async () => {
    const password = 'cluster-user-password';
    const created = await a.request({
      method: 'PUT',
      path: '/acs/api/v1/users/alice',
      headers: jsonHeaders,
      body: JSON.stringify({ password, description: 'Alice' }),
    });
    expect(created.status).toBe(201);
    const login = await eventually(async () => {
      const response = await b.request({
        method: 'POST',
        path: '/acs/api/v1/auth/login',
        headers: jsonHeaders,
        body: JSON.stringify({ uid: 'alice', password }),
        token: null,
      });
      if (response.status !== 200) throw new Error(`login answered ${response.status}`);
      return response.json as { token: string };
    });
    // No grant yet: both instances refuse alice's token with 403 (not 401: the token itself is valid on both).
    expect((await b.request({ path: secretUrl('iam/x'), token: login.token })).status).toBe(403);
    expect((await a.request({ path: secretUrl('iam/x'), token: login.token })).status).toBe(403);

    const rid = encodeURIComponent('dcos:secrets:default:/iam/*');
    expect(
      (
        await b.request({
          method: 'PUT',
          path: `/acs/api/v1/acls/${rid}`,
          headers: jsonHeaders,
          body: '{"description":"iam test"}',
        })
      ).status,
    ).toBe(201);
    expect((await b.request({ method: 'PUT', path: `/acs/api/v1/acls/${rid}/users/alice/full` })).status).toBe(204);
    expect((await put(a, 'iam/x', { value: 'x' })).status).toBe(201);
    expect(
      await eventually(async () => valueOf(await a.request({ path: secretUrl('iam/x'), token: login.token }))),
    ).toBe('x');
    expect(
      await eventually(async () => valueOf(await b.request({ path: secretUrl('iam/x'), token: login.token }))),
    ).toBe('x');
    // One signing key in storage: both publish the same JWKS.
    expect((await a.request({ path: '/acs/api/v1/auth/jwks', token: null })).json).toEqual(
      (await b.request({ path: '/acs/api/v1/auth/jwks', token: null })).json,
    );
  });

  it('seals per instance: sealing one leaves the other serving; each unseals on its own; a restart keeps the intent', async () => {
    expect((await put(a, 'seal/key', { value: 'kept' })).status).toBe(201);
    expect((await a.request({ method: 'PUT', path: '/secrets/v1/seal/default' })).status).toBe(200);
    const sealed = await a.request({ path: secretUrl('seal/key') });
    expect(sealed.status).toBe(503);
    expect(sealed.json).toMatchObject({ code: 'ERR_STORE_SEALED' });
    expect((await a.request({ path: '/secrets/v1/seal-status/default' })).json).toMatchObject({ sealed: true });
    expect((await b.request({ path: '/secrets/v1/seal-status/default' })).json).toMatchObject({ sealed: false });
    expect(await eventually(async () => valueOf(await b.request({ path: secretUrl('seal/key') })))).toBe('kept');
    expect((await patch(b, 'seal/key', { value: 'written while m1 is sealed' })).status).toBe(204);

    // A restarted m1 stays sealed (its own intent); a third instance starts unsealed.
    await a.close();
    a = await cluster.addInstance('m1');
    expect((await a.request({ path: '/secrets/v1/seal-status/default' })).json).toMatchObject({ sealed: true });
    const c = await cluster.addInstance('m3');
    expect(valueOf(await c.request({ path: secretUrl('seal/key') }))).toBe('written while m1 is sealed');

    expect((await a.request({ method: 'PUT', path: '/secrets/v1/auto-unseal/default' })).status).toBe(200);
    expect(valueOf(await a.request({ path: secretUrl('seal/key') }))).toBe('written while m1 is sealed');
    expect((await b.request({ path: '/secrets/v1/seal-status/default' })).json).toMatchObject({ sealed: false });
    await c.close();
  });

  it('the change feed of one instance reports writes made through the other; an index from another instance resets', async () => {
    const first = (await b.request({ path: '/secrets/v1/changes/default' })).json as { index: string };
    const parked = b.request({ path: `/secrets/v1/changes/default?index=${first.index}&wait=5m&path=feed` });
    await eventually(async () => {
      if (b.server.changes.waiting !== 1) throw new Error('not parked yet');
    });
    expect((await put(a, 'feed/rotated', { value: canaryValue })).status).toBe(201);
    const answer = await parked;
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ paths: ['feed/rotated'], reset: false });
    expect(answer.body.toString('utf8')).not.toContain(canaryValue);
    // Behind a load balancer the next poll may land on the other instance: it answers with a reset.
    const elsewhere = await a.request({
      path: `/secrets/v1/changes/default?index=${(answer.json as { index: string }).index}&wait=5m`,
    });
    expect(elsewhere.json).toMatchObject({ paths: [], reset: true });
    expect(elsewhere.headers['x-secrets-index']).toBe(a.server.changes.currentIndex());
  });
});
