// What group membership costs on the GET path: the same secret read by an account whose read comes
// from a direct grant and by one whose read comes through the third of three groups (each holding 20
// other grants), against the same server in the same run. Decisions use the mirror's merged index,
// so the two should match within noise.
import { measureThroughput, type ThroughputResult } from './lib/measure-throughput.js';
import type { BenchRow } from './lib/print-table.js';
import { secretPath, secretUrlPath, startBenchStore } from './lib/iam-store.js';

const suite = 'store-iam-groups';
const rounds = 4;
const durationMs = 2000;

export default async function storeIamGroupsBench(): Promise<BenchRow[]> {
  const store = await startBenchStore();
  try {
    await store.iam.createUser({ uid: 'group-reader', password: 'group-reader-password' });
    for (const gid of ['team-a', 'team-b', 'team-c']) {
      await store.iam.createGroup(gid);
      for (let index = 0; index < 20; index += 1) {
        await store.iam.grantGroup(
          { gid, rid: `dcos:secrets:default:/${gid}/app-${index}/*`, action: 'read' },
          { createAcl: true },
        );
      }
      await store.iam.addMember(gid, 'group-reader');
    }
    await store.iam.grantGroup({ gid: 'team-c', rid: `dcos:secrets:default:/${secretPath}`, action: 'read' });
    const groupToken = await store.iam.issueToken('group-reader');
    const get = async (token: string): Promise<number> =>
      ok(
        await measureThroughput({
          url: `${store.url}${secretUrlPath}`,
          headers: { authorization: `token=${token}` },
          connections: 64,
          durationMs,
        }),
      ).requestsPerSecond;
    let directRps = 0;
    let groupRps = 0;
    for (let round = 0; round < rounds; round += 1) {
      if (round % 2 === 0) {
        directRps += await get(store.readerToken);
        groupRps += await get(groupToken);
      } else {
        groupRps += await get(groupToken);
        directRps += await get(store.readerToken);
      }
    }
    return [
      {
        suite,
        metric: `GET with read through a group vs a direct grant (64 conns, mean of ${rounds})`,
        value: groupRps / rounds,
        unit: 'req/s',
        baseline: directRps / rounds,
        baselineName: 'direct grant',
        target: '>= 0.95',
      },
    ];
  } finally {
    await store.close();
  }
}

function ok(result: ThroughputResult): ThroughputResult {
  const failures =
    result.errors +
    Object.entries(result.statusCounts)
      .filter(([status]) => status !== '200')
      .reduce((sum, [, count]) => sum + count, 0);
  if (failures > 0) throw new Error(`GET: ${failures} failed requests (${JSON.stringify(result.statusCounts)})`);
  return result;
}
