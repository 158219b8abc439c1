// What the IAM costs: GET throughput with an IAM auth token against the same store behind a
// bootstrap token (target: at most 15% slower), and logins per second for users (scrypt, N=2^15)
// and service accounts (RS256 login token), measured against the same server in the same run.
import { measureThroughput, type ThroughputResult } from './lib/measure-throughput.js';
import type { BenchRow } from './lib/print-table.js';
import { createServiceLogin, secretUrlPath, startBenchStore } from './lib/iam-store.js';

const suite = 'store-iam';
const rounds = 4;
const durationMs = 2000;

export default async function storeIamBench(): Promise<BenchRow[]> {
  const viaIam = await startBenchStore();
  const viaBootstrap = await startBenchStore({ bootstrapToken: true });
  try {
    const get = async (url: string, token: string): Promise<number> =>
      ok(
        await measureThroughput({
          url: `${url}${secretUrlPath}`,
          headers: { authorization: `token=${token}` },
          connections: 64,
          durationMs,
        }),
        url,
      ).requestsPerSecond;
    let iamRps = 0;
    let bootstrapRps = 0;
    for (let round = 0; round < rounds; round += 1) {
      if (round % 2 === 0) {
        bootstrapRps += await get(viaBootstrap.url, viaBootstrap.bootstrapToken as string);
        iamRps += await get(viaIam.url, viaIam.readerToken);
      } else {
        iamRps += await get(viaIam.url, viaIam.readerToken);
        bootstrapRps += await get(viaBootstrap.url, viaBootstrap.bootstrapToken as string);
      }
    }

    const password = 'bench-user-password';
    await viaIam.iam.createUser({ uid: 'login-user', password });
    const serviceToken = await createServiceLogin(viaIam.iam, 'login-service');
    const login = async (body: Record<string, string>, connections: number): Promise<number> =>
      ok(
        await measureThroughput({
          url: `${viaIam.url}/acs/api/v1/auth/login`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          connections,
          durationMs: 3000,
        }),
        'login',
      ).requestsPerSecond;
    const userLogins = await login({ uid: 'login-user', password }, 4);
    const serviceLogins = await login({ uid: 'login-service', token: serviceToken }, 16);

    return [
      {
        suite,
        metric: `GET with IAM token vs bootstrap token (64 conns, mean of ${rounds})`,
        value: iamRps / rounds,
        unit: 'req/s',
        baseline: bootstrapRps / rounds,
        baselineName: 'bootstrap token',
        target: '>= 0.85',
      },
      {
        suite,
        metric: 'logins/s, service account (RS256 login token, 16 conns)',
        value: serviceLogins,
        unit: 'logins/s',
      },
      { suite, metric: 'logins/s, user (scrypt N=2^15 r=8 p=3, 4 conns)', value: userLogins, unit: 'logins/s' },
    ];
  } finally {
    await viaIam.close();
    await viaBootstrap.close();
  }
}

function ok(result: ThroughputResult, what: string): ThroughputResult {
  const failures =
    result.errors +
    Object.entries(result.statusCounts)
      .filter(([status]) => status !== '200')
      .reduce((sum, [, count]) => sum + count, 0);
  if (failures > 0) throw new Error(`${what}: ${failures} failed requests (${JSON.stringify(result.statusCounts)})`);
  return result;
}
