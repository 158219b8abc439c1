// The ZooKeeper backend on a real 3-member ensemble while members die: one member down is invisible
// to callers; a lost quorum makes calls fail with ERR_STORAGE_UNAVAILABLE in bounded time; the
// backend comes back by itself; nothing acknowledged is ever lost.
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { isSecretsAgentError } from '../../../src/core/errors.js';
import type { StorageBackend } from '../../../src/store/storage/backend.js';
import type { ZooKeeperBackendOptions } from '../../../src/store/storage/zk-backend.js';
import { capturedLogLines } from '../../helpers/log-capture.js';
import type { ZooKeeperMember } from '../../helpers/zookeeper-ensemble.js';
import { membersByMode, useZooKeeperEnsemble } from '../../helpers/zookeeper-fixture.js';
import { nextChange, openZkBackend } from './support/zk-backends.js';
import { expectRejection } from '../../helpers/rejection.js';

const auth = 'secrets-agent:zk-failover-password';
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : new TextDecoder().decode(value);

const zk = useZooKeeperEnsemble({ members: 3 });

function openBackend(rootPath: string, overrides: Partial<ZooKeeperBackendOptions> = {}): Promise<StorageBackend> {
  return openZkBackend(zk, auth, rootPath, overrides);
}

// Waits (bounded) until `probe` stops throwing: the readiness of a recovered backend.
async function eventually(probe: () => Promise<unknown>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await probe();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await delay(100);
    }
  }
}

// Puts and reads back through `backend` from several workers until stopped; every put that
// resolved is recorded as acknowledged (key -> value). Any error ends the stream and fails the test.
function startStream(
  backend: StorageBackend,
  workers: number,
): {
  acknowledged: Map<string, string>;
  reachOps(count: number): Promise<void>;
  stop(): Promise<void>;
} {
  const acknowledged = new Map<string, string>();
  let ops = 0;
  let stopping = false;
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const worker = async (id: number): Promise<void> => {
    for (let index = 0; !stopping; index += 1) {
      const key = `stream/w${id}/k${index % 16}`;
      const value = `w${id}-${index}`;
      await backend.put(key, bytes(value));
      acknowledged.set(key, value);
      expect(text((await backend.get(key))?.value)).toBe(value);
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
    reachOps: (count) =>
      Promise.race([
        new Promise<void>((resolve) => (ops >= count ? resolve() : waiters.push({ count: ops + count, resolve }))),
        running.then(() => undefined),
      ]),
    stop: async () => {
      stopping = true;
      await running;
    },
  };
}

describe('zookeeper backend on a 3-member ensemble', () => {
  it('serves a stream of reads and writes without an error while the leader, then a follower, is killed and restarted', async () => {
    const backend = await openBackend('/failover-stream');
    const linesBefore = capturedLogLines().length;
    const stream = startStream(backend, 4);

    await stream.reachOps(40);
    const { leader } = await membersByMode(zk.ensemble);
    await leader.kill('SIGKILL');
    await stream.reachOps(60);
    await leader.start();
    await zk.ensemble.waitServing();
    await stream.reachOps(40);

    const { followers } = await membersByMode(zk.ensemble);
    const follower = followers[0] as ZooKeeperMember;
    await follower.kill('SIGKILL');
    await stream.reachOps(60);
    await follower.start();
    await zk.ensemble.waitServing();
    await stream.reachOps(40);
    await stream.stop();

    // The kills really cut this client off (else the test would prove nothing).
    expect(
      capturedLogLines()
        .slice(linesBefore)
        .some((line) => line.includes('zookeeper storage: disconnected')),
    ).toBe(true);
    // A new instance loads the tree from the servers: every acknowledged write is there.
    const fresh = await openBackend('/failover-stream');
    for (const [key, value] of stream.acknowledged) expect(text((await fresh.get(key))?.value), key).toBe(value);
    expect(await fresh.list('stream')).toEqual([...stream.acknowledged.keys()].sort());
  });

  it('fails with ERR_STORAGE_UNAVAILABLE in bounded time without quorum, and recovers by itself when quorum returns', async () => {
    // Short timeouts: the outage outlasts the session, so the backend also has to start a new one.
    const backend = await openBackend('/failover-quorum', { operationTimeoutMs: 2_000, sessionTimeoutMs: 2_000 });
    const observer = await openBackend('/failover-quorum');
    await backend.put('q/before', bytes('kept'));
    const linesBefore = capturedLogLines().length;

    // Killing both followers leaves a leader that accepts requests but cannot commit them.
    const { followers } = await membersByMode(zk.ensemble);
    await Promise.all(followers.map((member) => member.kill('SIGKILL')));

    await expectRejection(backend.put('q/during', bytes('lost')), 'ERR_STORAGE_UNAVAILABLE');
    await expectRejection(backend.create('q/during-create', bytes('lost')), 'ERR_STORAGE_UNAVAILABLE');
    await expectRejection(backend.delete('q/before'), 'ERR_STORAGE_UNAVAILABLE');
    await expectRejection(backend.ping(), 'ERR_STORAGE_UNAVAILABLE');
    // Reads come from the local copy while it can still be current, then fail: never a wrong value.
    const read = await backend.get('q/before').then(
      (entry) => text(entry?.value),
      (error: unknown) => (isSecretsAgentError(error) ? error.code : error),
    );
    expect(['kept', 'ERR_STORAGE_UNAVAILABLE']).toContain(read);

    // Past the session timeout the backend gives up on its session and opens a new one (its watches
    // died with the old one); wait for that before quorum returns, so the test covers it every time.
    await eventually(async () => {
      if (
        !capturedLogLines()
          .slice(linesBefore)
          .some((line) => line.includes('zookeeper storage: starting a new session'))
      )
        throw new Error('still on the old session');
    });
    await Promise.all(followers.map((member) => member.start()));
    await zk.ensemble.waitServing();
    await eventually(() => backend.ping());

    // Same instance, no reopen: writes work, and watches work in the new session.
    await backend.put('q/after', bytes('written after recovery'));
    const seen = nextChange(backend, (change) => change.key === 'q/from-observer');
    await observer.put('q/from-observer', bytes('hello'));
    await seen;
    expect(text((await backend.get('q/from-observer'))?.value)).toBe('hello');
    expect(text((await backend.get('q/before'))?.value)).toBe('kept');

    // Acknowledged writes are all there. A write that failed may still have been committed: the
    // leader logged it before losing quorum and Zab keeps a logged proposal (the error said
    // "may still be applied"); only its own value can be there then.
    const fresh = await openBackend('/failover-quorum');
    const keys = await fresh.list('q');
    expect(keys.filter((key) => !key.startsWith('q/during'))).toEqual(['q/after', 'q/before', 'q/from-observer']);
    for (const key of keys.filter((name) => name.startsWith('q/during')))
      expect(text((await fresh.get(key))?.value)).toBe('lost');
  });
});
