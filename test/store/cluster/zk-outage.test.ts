// Issue 7: the store over HTTP while ZooKeeper members die. One member of three down changes
// nothing for clients; a lost quorum gives 503 ERR_STORAGE_UNAVAILABLE (no crash, nothing stale
// acknowledged), and the instances serve again by themselves when the members are back.
import { describe, expect, it } from 'vitest';
import { capturedLogLines } from '../../helpers/log-capture.js';
import type { ZooKeeperMember } from '../../helpers/zookeeper-ensemble.js';
import { useZooKeeperEnsemble } from '../../helpers/zookeeper-fixture.js';
import type { RawResponse } from '../support/store-server.js';
import {
  eventually,
  jsonHeaders,
  membersByMode,
  secretUrl,
  startStoreCluster,
  valueOf,
  type StoreInstance,
} from './support/cluster.js';

const zk = useZooKeeperEnsemble({ members: 3 });

async function startCluster(
  rootPath: string,
  zkParameters: Record<string, number> = {},
): Promise<[StoreInstance, StoreInstance]> {
  // A member killed and restarted by the previous test may still be rejoining (an election): the
  // instances open with short timeouts, so start them only once every member serves again.
  await zk.ensemble.waitServing();
  const cluster = zk.track(
    await startStoreCluster({ ensemble: zk.ensemble, rootPath, instanceIds: ['m1', 'm2'], zkParameters }),
  );
  return cluster.instances as [StoreInstance, StoreInstance];
}

function describeFailure(what: string, response: RawResponse): string {
  return `${what} answered ${response.status}: ${response.body.toString('utf8')}`;
}

// Through the HTTP API: workers each update their own secret through one instance and read it back
// through the same one (read-your-writes), and read it through the other one (any acknowledged value).
// Any non-2xx answer or transport error is recorded as a client error.
function startHttpStream(
  instances: readonly StoreInstance[],
  workers: number,
): {
  acknowledged: Map<string, string>;
  errors: string[];
  reachOps(count: number): Promise<void>;
  stop(): Promise<void>;
} {
  const acknowledged = new Map<string, string>();
  const errors: string[] = [];
  let ops = 0;
  let stopping = false;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const worker = async (id: number): Promise<void> => {
    const own = instances[id % instances.length] as StoreInstance;
    const other = instances[(id + 1) % instances.length] as StoreInstance;
    const path = `stream/w${id}`;
    for (let index = 0; !stopping && errors.length === 0; index += 1) {
      const value = `w${id}-${index}`;
      try {
        const written = await own.request({
          method: index === 0 ? 'PUT' : 'PATCH',
          path: secretUrl(path),
          headers: jsonHeaders,
          body: JSON.stringify({ value }),
        });
        if (written.status !== 201 && written.status !== 204) {
          errors.push(describeFailure(`write ${path} via ${own.instanceId}`, written));
          break;
        }
        acknowledged.set(path, value);
        const mine = await own.request({ path: secretUrl(path) });
        if (mine.status !== 200 || valueOf(mine) !== value)
          errors.push(describeFailure(`read-your-write ${path} via ${own.instanceId}`, mine));
        const theirs = await other.request({ path: secretUrl(path) });
        if (theirs.status !== 200) errors.push(describeFailure(`read ${path} via ${other.instanceId}`, theirs));
      } catch (error) {
        errors.push(`${path}: ${String(error)}`);
      }
      ops += 1;
      for (const waiter of waiters.filter((entry) => ops >= entry.count)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  const running = Promise.all(Array.from({ length: workers }, (_, id) => worker(id)));
  return {
    acknowledged,
    errors,
    reachOps: (count) =>
      Promise.race([
        new Promise<void>((resolve) => waiters.push({ count: ops + count, resolve })),
        running.then(() => {
          throw new Error(`the stream stopped: ${errors.join('; ')}`);
        }),
      ]),
    stop: async () => {
      stopping = true;
      await running;
    },
  };
}

describe('store instances while ZooKeeper members die', () => {
  it('a stream of reads and writes through both instances sees no client error while the leader, then a follower, is killed', async () => {
    const [a, b] = await startCluster('/outage-stream');
    const linesBefore = capturedLogLines().length;
    const stream = startHttpStream([a, b], 4);
    await stream.reachOps(40);
    const { leader } = await membersByMode(zk.ensemble);
    await leader.kill('SIGKILL');
    await stream.reachOps(60);
    await leader.start();
    await zk.ensemble.waitServing();
    await stream.reachOps(40);
    const follower = (await membersByMode(zk.ensemble)).followers[0] as ZooKeeperMember;
    await follower.kill('SIGKILL');
    await stream.reachOps(60);
    await follower.start();
    await zk.ensemble.waitServing();
    await stream.reachOps(40);
    await stream.stop();

    expect(stream.errors).toEqual([]);
    // The kills really cut sessions off (else the test would prove nothing).
    expect(
      capturedLogLines()
        .slice(linesBefore)
        .some((line) => line.includes('zookeeper storage: disconnected')),
    ).toBe(true);
    // Every acknowledged value is what both instances serve once they have caught up.
    for (const [path, value] of stream.acknowledged) {
      for (const instance of [a, b])
        expect(
          await eventually(async () => {
            const current = valueOf(await instance.request({ path: secretUrl(path) }));
            if (current !== value) throw new Error(`${path} via ${instance.instanceId}: ${current}, expected ${value}`);
            return current;
          }),
        ).toBe(value);
    }
  });

  it('without quorum: 503 ERR_STORAGE_UNAVAILABLE with a clear body, no crash, no write acknowledged; back by itself when quorum returns', async () => {
    // Short ZooKeeper timeouts so the outage outlasts the session within the test.
    const [a, b] = await startCluster('/outage-quorum', { sessionTimeoutMs: 4000, operationTimeoutMs: 3000 });
    expect(
      (await a.request({ method: 'PUT', path: secretUrl('q/before'), headers: jsonHeaders, body: '{"value":"kept"}' }))
        .status,
    ).toBe(201);
    await eventually(async () => valueOf(await b.request({ path: secretUrl('q/before') })));
    const feedStart = ((await b.request({ path: '/secrets/v1/changes/default' })).json as { index: string }).index;

    const { followers } = await membersByMode(zk.ensemble);
    await Promise.all(followers.map((member) => member.kill('SIGKILL')));

    const failedWrites = [
      await a.request({ method: 'PUT', path: secretUrl('q/during'), headers: jsonHeaders, body: '{"value":"during"}' }),
      await b.request({
        method: 'PATCH',
        path: secretUrl('q/before'),
        headers: jsonHeaders,
        body: '{"value":"changed"}',
      }),
      await a.request({ method: 'DELETE', path: secretUrl('q/before') }),
    ];
    for (const response of failedWrites) {
      expect(response.status, response.body.toString('utf8')).toBe(503);
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.json).toMatchObject({
        title: 'Service Unavailable',
        code: 'ERR_STORAGE_UNAVAILABLE',
        description: expect.stringContaining('ZooKeeper'),
      });
    }
    // Reads: the local copy while it can still be current (nobody can write without quorum), then 503; never another value.
    const early = await b.request({ path: secretUrl('q/before') });
    if (early.status === 200) expect(valueOf(early)).toBe('kept');
    else expect(early.json).toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' });
    await eventually(async () => {
      const late = await b.request({ path: secretUrl('q/before') });
      if (late.status !== 503) throw new Error(`still ${late.status}`);
      expect(late.json).toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' });
    });
    expect((await a.request({ path: '/secrets/v1/ping/backends/default' })).status).toBe(503);
    // The process is alive and answering.
    expect((await a.request({ path: '/secrets/v1/ping' })).status).toBe(200);
    expect((await b.request({ path: '/secrets/v1/seal-status/default' })).json).toMatchObject({ sealed: false });

    await Promise.all(followers.map((member) => member.start()));
    await zk.ensemble.waitServing();
    // No restart of either instance: they serve again on their own.
    await eventually(async () => {
      const response = await a.request({
        method: 'PUT',
        path: secretUrl('q/after'),
        headers: jsonHeaders,
        body: '{"value":"after"}',
      });
      if (response.status !== 201 && response.status !== 409) throw new Error(describeFailure('PUT q/after', response));
    });
    await eventually(async () => {
      const response = await b.request({
        method: 'PATCH',
        path: secretUrl('q/after'),
        headers: jsonHeaders,
        body: '{"value":"after-b"}',
      });
      if (response.status !== 204) throw new Error(describeFailure('PATCH q/after', response));
    });
    for (const instance of [a, b]) {
      expect(await eventually(async () => valueOf(await instance.request({ path: secretUrl('q/before') })))).toBe(
        'kept',
      );
      expect(
        await eventually(async () => {
          const value = valueOf(await instance.request({ path: secretUrl('q/after') }));
          if (value !== 'after-b') throw new Error(`q/after via ${instance.instanceId}: ${value}`);
          return value;
        }),
      ).toBe('after-b');
    }
    // A failed write may still have been committed (Zab keeps a logged proposal; the error said its
    // outcome is unknown), but only with its own value.
    const during = await a.request({ path: secretUrl('q/during') });
    if (during.status === 200) expect(valueOf(during)).toBe('during');
    else expect(during.status).toBe(404);
    // The change feed of the instance that lost its session reports what changed across the outage.
    const changed = (await b.request({ path: `/secrets/v1/changes/default?index=${feedStart}&wait=0` })).json as {
      paths: string[];
      reset: boolean;
    };
    expect(changed.reset).toBe(false);
    expect(changed.paths).toContain('q/after');
  });
});
