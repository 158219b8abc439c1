// `secrets-agent run` start-up overhead: wall time of `run --app <N secrets> -- /bin/true` against
// the embedded store (--data-dir) and against a local store server over HTTP (with the token the
// previous run cached, and with a service-account login every run), for N = 100 and N = 1, each
// divided by `node -e 0` of the same round (the median of those per-round ratios is reported).
// Peer: `dotenvx run -f <100-key .env> -- /bin/true`. Uses the built CLI (dist/; `npm run bench`
// builds first), or SECRETS_AGENT_BENCH_CLI=<secrets-agent.cjs> to measure another build in the same way.
// Env-only runs exec into /bin/true (stdout/stderr go to /dev/null here; pipes would do too).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSilentLogger } from '../src/core/log.js';
import { openEmbeddedStore } from '../src/store/embedded-store.js';
import { bootstrapIam, createServiceAccountCredential } from '../src/store/iam/bootstrap.js';
import { createIam } from '../src/store/iam/iam.js';
import { createStoreServer } from '../src/store/server.js';
import { openStorage } from '../src/store/storage/open-storage.js';
import { generatePgpKeyPair } from '../src/crypto/openpgp.js';
import type { BenchRow } from './lib/print-table.js';

const repoRoot = fileURLToPath(new URL('../', import.meta.url));
const cli = process.env['SECRETS_AGENT_BENCH_CLI'] ?? join(repoRoot, 'dist/src/cli/secrets-agent.cjs');
const dotenvx = join(repoRoot, 'node_modules/.bin/dotenvx');
const runs = Number(process.env['SECRETS_AGENT_BENCH_ROUNDS'] ?? 21);
const warmups = 3;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

// Children get only PATH (and HOME, where `run` keeps its code cache): in particular no
// NODE_EXTRA_CA_CERTS, which doubles node's own start-up, on both sides of every ratio.
const childEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root' };

function timeProcess(command: string, args: readonly string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, [...args], { cwd, stdio: 'ignore', env: childEnv });
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`${command} ${args.slice(0, 3).join(' ')} exited ${String(code)}`));
    });
  });
}

interface CaseResult {
  /** Median wall time. */
  readonly ms: number;
  /** Median over rounds of (this case / the baseline case of the same round). */
  readonly ratio: number;
}

// Interleaved rounds, so load on this shared 2-core machine hits every case alike; each case is
// divided by the baseline of its own round, and the median of those ratios is reported.
async function measure(
  cases: Record<string, { command: string; args: readonly string[] }>,
  baselineName: string,
  cwd: string,
): Promise<Record<string, CaseResult>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  for (let round = 0; round < warmups + runs; round += 1) {
    for (const [name, { command, args }] of Object.entries(cases)) {
      const ms = await timeProcess(command, args, cwd);
      if (round >= warmups) samples[name]?.push(ms);
    }
  }
  const baseline = samples[baselineName] ?? [];
  return Object.fromEntries(
    Object.entries(samples).map(([name, values]) => [
      name,
      {
        ms: median(values),
        ratio: median(values.map((value, round) => value / (baseline[round] ?? Number.NaN))),
      },
    ]),
  );
}

function appDefinition(count: number): unknown {
  const env: Record<string, unknown> = {};
  const secrets: Record<string, unknown> = {};
  for (let index = 0; index < count; index += 1) {
    env[`SECRET_${index}`] = { secret: `s${index}` };
    secrets[`s${index}`] = { source: `bench/secret-${String(index).padStart(3, '0')}` };
  }
  return { id: '/bench/app', env, secrets };
}

export default async function runOverheadBench(): Promise<BenchRow[]> {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm run bench does)`);
  const dir = await mkdtemp(join(tmpdir(), 'bench-run-'));
  const log = createSilentLogger();
  const keyPair = await generatePgpKeyPair({ name: 'bench', rsaBits: 2048 });
  const seed = async (dataDir: string): Promise<void> => {
    const store = await openEmbeddedStore({ dataDir, initialize: { keyPair } });
    for (let index = 0; index < 100; index += 1) {
      await store.createSecret(`bench/secret-${String(index).padStart(3, '0')}`, {
        type: 'text',
        bytes: new TextEncoder().encode(`value-${index}-${'x'.repeat(32)}`),
      });
    }
    await store.close();
  };
  const embeddedDir = join(dir, 'embedded');
  const serverDir = join(dir, 'server');
  await seed(embeddedDir);
  await seed(serverDir);

  const storage = await openStorage({ dataDir: serverDir, log });
  const iam = await createIam({ storage, log });
  await bootstrapIam({ iam, superuser: { uid: 'admin', password: 'bench-password' } });
  const server = await createStoreServer({
    storage,
    access: iam.access,
    routes: iam.routes,
    log,
    listen: { host: '127.0.0.1', port: 0 },
    initialize: { keyPair },
    closeGraceMs: 100,
  });
  const credential = await createServiceAccountCredential({
    iam,
    uid: 'bench-node',
    loginEndpoint: `${server.url}/acs/api/v1/auth/login`,
  });
  await iam.grant({ uid: 'bench-node', rid: 'dcos:secrets:default:/bench/*', action: 'read' }, { createAcl: true });
  const credentialFile = join(dir, 'credential.json');
  await writeFile(credentialFile, JSON.stringify(credential), { mode: 0o600 });

  const app100 = join(dir, 'app-100.json');
  const app1 = join(dir, 'app-1.json');
  await writeFile(app100, JSON.stringify(appDefinition(100)));
  await writeFile(app1, JSON.stringify(appDefinition(1)));
  // 99 env secrets and one secret file: the agent supervises (the file must go when the workload ends).
  const appFiles = join(dir, 'app-files.json');
  const withFile = appDefinition(100) as { env: Record<string, unknown>; container?: unknown };
  delete withFile.env['SECRET_99'];
  withFile.container = { volumes: [{ containerPath: 'secret-99.txt', secret: 's99' }] };
  await writeFile(appFiles, JSON.stringify(withFile));
  const sandbox = join(dir, 'sandbox');
  await mkdir(sandbox, { mode: 0o700 });
  const dotenvFile = join(dir, '.env');
  await writeFile(
    dotenvFile,
    Array.from({ length: 100 }, (_unused, index) => `SECRET_${index}="value-${index}-${'x'.repeat(32)}"`).join('\n'),
  );

  const stateDir = join(dir, 'state');
  // A state directory under a regular file: nothing can be cached there, so every run logs in.
  const noStateDir = join(dotenvFile, 'state');
  const http = ['--url', server.url, '--credential-file', credentialFile, '--state-dir', stateDir];
  const httpLogin = ['--url', server.url, '--credential-file', credentialFile, '--state-dir', noStateDir];
  const node = process.execPath;
  try {
    const results = await measure(
      {
        'node -e 0': { command: node, args: ['-e', '0'] },
        'http-100': { command: node, args: [cli, 'run', '--app', app100, ...http, '--', '/bin/true'] },
        'http-1': { command: node, args: [cli, 'run', '--app', app1, ...http, '--', '/bin/true'] },
        'http-files': {
          command: node,
          args: [cli, 'run', '--app', appFiles, ...http, '--sandbox', sandbox, '--', '/bin/true'],
        },
        'http-100-login': { command: node, args: [cli, 'run', '--app', app100, ...httpLogin, '--', '/bin/true'] },
        'embedded-100': {
          command: node,
          args: [cli, 'run', '--app', app100, '--data-dir', embeddedDir, '--', '/bin/true'],
        },
        'embedded-1': {
          command: node,
          args: [cli, 'run', '--app', app1, '--data-dir', embeddedDir, '--', '/bin/true'],
        },
        dotenvx: { command: dotenvx, args: ['run', '-q', '-f', dotenvFile, '--', '/bin/true'] },
      },
      'node -e 0',
      dir,
    );
    const baseline = (results['node -e 0'] as CaseResult).ms;
    const row = (metric: string, name: string, target?: string): BenchRow => ({
      suite: 'run-overhead',
      metric,
      value: (results[name] as CaseResult).ms,
      unit: 'ms (median)',
      baseline,
      baselineName: 'node -e 0',
      ratio: (results[name] as CaseResult).ratio,
      ...(target === undefined ? {} : { target }),
    });
    const dotenvxMs = (results['dotenvx'] as CaseResult).ms;
    return [
      row('run, 100 secrets, HTTP store (token cached by the previous run)', 'http-100', '<= 2.0'),
      row('run, 1 secret, HTTP store (token cached)', 'http-1'),
      row('run, 99 env secrets + 1 secret file (supervised), HTTP store', 'http-files'),
      row('run, 100 secrets, HTTP store, logging in every run', 'http-100-login'),
      row('run, 100 secrets, embedded store (--data-dir)', 'embedded-100'),
      row('run, 1 secret, embedded store (--data-dir)', 'embedded-1'),
      row('peer: dotenvx run, 100-key .env', 'dotenvx'),
      {
        suite: 'run-overhead',
        metric: 'run, 100 secrets, HTTP store, vs dotenvx run',
        value: (results['http-100'] as CaseResult).ms,
        unit: 'ms (median)',
        baseline: dotenvxMs,
        baselineName: 'dotenvx',
      },
    ];
  } finally {
    await server.close();
    await iam.close();
    await storage.close();
    await rm(dir, { recursive: true, force: true });
  }
}
