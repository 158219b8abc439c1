// Opening ZooKeeper backends on a test file's ensemble, and waiting for a change they report.
import type { StorageBackend, StorageChange } from '../../../../src/store/storage/backend.js';
import { openZooKeeperBackend, type ZooKeeperBackendOptions } from '../../../../src/store/storage/zk-backend.js';
import { createTestLogger } from '../../../helpers/log-capture.js';
import type { ZooKeeperFixture } from '../../../helpers/zookeeper-fixture.js';

/** Opens a backend under `rootPath` on the fixture's ensemble with digest `auth`; closed after the file's tests. */
export async function openZkBackend(
  zk: ZooKeeperFixture,
  auth: string,
  rootPath: string,
  overrides: Partial<ZooKeeperBackendOptions> = {},
): Promise<StorageBackend> {
  const backend = await openZooKeeperBackend({
    connectionString: zk.ensemble.connectionString,
    rootPath,
    auth,
    juteMaxBufferBytes: zk.ensemble.juteMaxBufferBytes,
    log: createTestLogger(),
    ...overrides,
  });
  return zk.track(backend);
}

/** The first change `backend` reports that matches `predicate`. */
export function nextChange(
  backend: StorageBackend,
  predicate: (change: StorageChange) => boolean,
): Promise<StorageChange> {
  return new Promise((resolve) => {
    const stop = backend.watch((change) => {
      if (!predicate(change)) return;
      stop();
      resolve(change);
    });
  });
}
