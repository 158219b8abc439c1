// The ZooKeeper set-up every ZooKeeper test file shares: one real ensemble per file, started before
// its tests and stopped after them, with whatever the tests opened on it closed first.
import { afterAll, beforeAll } from 'vitest';
import { startZooKeeperEnsemble, type ZooKeeperEnsemble, type ZooKeeperMember } from './zookeeper-ensemble.js';

export interface ZooKeeperFixture {
  /** The running ensemble; only inside hooks and tests, after the fixture's beforeAll. */
  readonly ensemble: ZooKeeperEnsemble;
  /** Closes `closable` after the file's tests, before the ensemble stops; returns it. */
  track<T extends { close(): Promise<unknown> }>(closable: T): T;
}

/** Registers beforeAll/afterAll that start a `members`-member ensemble and stop it after closing what was tracked. */
export function useZooKeeperEnsemble(options: { readonly members: 1 | 3 }): ZooKeeperFixture {
  let ensemble: ZooKeeperEnsemble | undefined;
  const tracked: { close(): Promise<unknown> }[] = [];
  beforeAll(async () => {
    ensemble = await startZooKeeperEnsemble({ members: options.members });
  });
  afterAll(async () => {
    await Promise.allSettled(tracked.map((closable) => closable.close()));
    await ensemble?.stop();
  });
  return {
    get ensemble(): ZooKeeperEnsemble {
      if (ensemble === undefined) throw new Error('the ZooKeeper ensemble is not started yet (use it inside a test)');
      return ensemble;
    },
    track(closable) {
      tracked.push(closable);
      return closable;
    },
  };
}

/** The ensemble's current leader and followers, as each member reports its mode. */
export async function membersByMode(
  ensemble: ZooKeeperEnsemble,
): Promise<{ leader: ZooKeeperMember; followers: ZooKeeperMember[] }> {
  const modes = await Promise.all(ensemble.members.map(async (member) => ({ member, mode: await member.mode() })));
  const leader = modes.find((entry) => entry.mode === 'leader')?.member;
  if (leader === undefined) throw new Error(`no leader: ${JSON.stringify(modes.map((entry) => entry.mode))}`);
  return { leader, followers: modes.filter((entry) => entry.mode === 'follower').map((entry) => entry.member) };
}
