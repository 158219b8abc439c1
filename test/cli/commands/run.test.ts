// End-to-end: `secrets-agent run` / `explain` as real child processes against the real store with
// the real IAM, delivering to a real fixture workload (test/fixtures/agent/report.mjs). Issue 5.
import { spawn, spawnSync } from 'node:child_process';
import { lstat, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryValue } from '../../helpers/canary.js';
import { createGpgHome, type GpgHome } from '../../store/support/gpg-home.js';
import {
  agentEnv,
  decodeContent,
  parseReport,
  reportFixture,
  recordBuiltinsFixture,
  runAgentCli,
  startAgent,
  type FixtureReport,
} from '../../agent/support/agent-process.js';
import { startAgentStore, type AgentStore } from '../../agent/support/agent-store.js';
import { bundleCli } from '../../agent/support/bundled-cli.js';
import { isRoot, nobody } from '../../deliver/support/scratch.js';
import { nativeAddonEnvVar } from '../../../src/supervisor/native-addon.js';

let env: AgentStore;
const keytab = new Uint8Array(Array.from({ length: 256 }, (_, index) => index));

const fileApp = {
  id: '/team/app',
  env: { DB_PASSWORD: { secret: 'db' }, PLAIN: 'plain-value' },
  container: {
    type: 'MESOS',
    volumes: [
      { containerPath: 'secrets/db', secret: 'db' },
      { containerPath: 'keytab', secret: 'keytab' },
      { containerPath: 'ca/ca.pem', secret: 'ca' },
      { containerPath: 'data', hostPath: '/var/lib/x', mode: 'RW' },
    ],
  },
  secrets: {
    db: { source: 'team/app/db-password' },
    keytab: { source: 'team/app/keytab' },
    ca: { source: 'team/shared-ca' },
  },
};
const envApp = {
  id: '/team/app',
  env: { API_KEY: { secret: 'api' }, ROOT_TOKEN: { secret: 'root' } },
  secrets: { api: { source: 'team/app/api-key' }, root: { source: 'root-token' } },
};
const fileArgs = ['secrets/db', 'keytab', 'ca/ca.pem'];

function connection(): string[] {
  return ['--url', env.url, '--credential-file', env.credentialFile];
}

async function run(
  app: string,
  extra: readonly string[],
  workload: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; stdoutFile?: string } = {},
) {
  const sandbox = options.cwd ?? (await env.sandbox());
  const result = await runAgentCli(
    ['run', '--app', app, ...connection(), '--sandbox', sandbox, ...extra, '--', ...workload],
    {
      cwd: sandbox,
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.stdoutFile === undefined ? {} : { stdoutFile: options.stdoutFile }),
    },
  );
  return { ...result, sandbox };
}

beforeAll(async () => {
  env = await startAgentStore([
    'dcos:secrets:default:/team/*',
    'dcos:secrets:default:/other/*',
    'dcos:secrets:default:/root-token',
    'dcos:secrets:default:/analytics/*',
  ]);
  await env.put('team/app/db-password', canaryValue);
  await env.put('team/app/api-key', 'api-key-value');
  await env.put('team/app/keytab', keytab, 'binary');
  await env.put('team/shared-ca', '-----BEGIN CERTIFICATE-----\nCA\n');
  await env.put('other/secret', 'other-value');
  await env.put('root-token', 'root-value');
  await env.put('locked/secret', 'locked-value');
  await env.put('analytics/kafka-password', 'kafka-pw');
  await env.put('analytics/ingest/s3-secret-key', 's3-key');
  await env.put('analytics/tls-bundle', 'tls-bundle');
}, 120_000);

afterAll(async () => {
  await env?.close();
});

describe('run: delivery to the workload', () => {
  it('delivers env and file secrets (text and binary), fetching a secret used twice once, and removes the files at exit', async () => {
    const app = await env.writeApp('files', fileApp);
    const before = env.fetchCount('team/app/db-password');
    const result = await run(app, ['--log-level', 'debug'], ['node', reportFixture, ...fileArgs]);
    expect(result.code, result.stderr).toBe(0);
    const report = parseReport(result);
    expect(report.env['DB_PASSWORD']).toBe(canaryValue);
    expect(report.env['PLAIN']).toBe('plain-value');
    expect(report.cwd).toBe(result.sandbox);
    expect(decodeContent(report.files['secrets/db'])).toBe(canaryValue);
    expect(new Uint8Array(Buffer.from(report.files['keytab']?.content ?? '', 'base64'))).toEqual(keytab);
    expect(decodeContent(report.files['ca/ca.pem'])).toBe('-----BEGIN CERTIFICATE-----\nCA\n');
    for (const path of fileArgs) {
      expect(report.files[path]).toMatchObject({ mode: 0o400, symlink: true, dirMode: 0o700 });
      expect(report.files[path]?.realPath).not.toContain(result.sandbox);
    }
    expect(env.fetchCount('team/app/db-password') - before).toBe(1);
    // Gone after exit: the links, the directories made for them, and the tmpfs files.
    await expect(lstat(join(result.sandbox, 'secrets'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(lstat(join(result.sandbox, 'keytab'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(report.files['keytab']?.realPath ?? '')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(result.stderr).not.toContain(canaryValue);
  });

  it.each([0, 1, 42])('passes the workload exit code %i through (supervised)', async (code) => {
    const app = await env.writeApp(`exit-${code}`, fileApp);
    const result = await run(app, [], ['node', reportFixture, `--exit=${code}`]);
    expect(result.code, result.stderr).toBe(code);
  });

  it('replaces itself with an env-only workload (exec: same PID) and passes its exit code through', async () => {
    const app = await env.writeApp('env-only', envApp);
    const stdoutFile = join(env.dir, 'exec-stdout.txt');
    const result = await run(app, [], ['node', reportFixture, '--exit=42'], { stdoutFile });
    expect(result.code, result.stderr).toBe(42);
    const report = parseReport(result);
    expect(report.pid).toBe(result.pid);
    expect(report.env).toMatchObject({ API_KEY: 'api-key-value', ROOT_TOKEN: 'root-value' });
  });

  it('execs an env-only workload even when its stdio pipes are non-blocking (under tsx, whose loader makes them so): blocking for the workload (issue 13.3)', async () => {
    const app = await env.writeApp('env-only-pipe', envApp);
    const result = await run(app, [], ['node', reportFixture, '--exit=1']);
    expect(result.code).toBe(1);
    const report = parseReport(result);
    expect(report.pid).toBe(result.pid);
    expect(report.stdio['1']).toEqual({ nonBlocking: false });
    expect(report.stdio['2']).toEqual({ nonBlocking: false });
  });

  it('execs an env-only workload when PWD names another directory than --sandbox (issue 12.4)', async () => {
    const app = await env.writeApp('env-only-pwd', envApp);
    const stdoutFile = join(env.dir, 'exec-pwd-stdout.txt');
    const result = await run(app, [], ['node', reportFixture], { stdoutFile, env: agentEnv({ PWD: '/' }) });
    expect(result.code, result.stderr).toBe(0);
    const report = parseReport(result);
    expect(report.pid).toBe(result.pid);
    expect(report.cwd).toBe(result.sandbox);
    // The workload gets the environment as the agent got it: PWD is not rewritten.
    expect(report.env['PWD']).toBe('/');
  });

  it(`supervises an env-only workload when the native addon is missing on Node 20 (test hook ${nativeAddonEnvVar}=off)`, async () => {
    const app = await env.writeApp('env-only-no-addon', envApp);
    const stdoutFile = join(env.dir, 'exec-no-addon-stdout.txt');
    const result = await run(app, [], ['node', reportFixture, '--exit=5'], {
      stdoutFile,
      env: agentEnv({ [nativeAddonEnvVar]: 'off' }),
    });
    expect(result.code, result.stderr).toBe(5);
    const report = parseReport(result);
    const hasExecve = typeof (process as unknown as { execve?: unknown }).execve === 'function';
    expect(report.ppid === result.pid).toBe(!hasExecve);
    expect(report.env).toMatchObject({ API_KEY: 'api-key-value' });
  });

  it('the built CLI execs an env-only workload when stdout and stderr are shell pipes: same PID, blocking stdio', async () => {
    const builtMain = await bundleCli();
    const app = await env.writeApp('env-only-pipes-built', envApp);
    const sandbox = await env.sandbox();
    // FIFOs, as a container runtime or a shell pipeline hands them over (Node's own child stdio are
    // socket pairs: those cannot be reopened, and the agent supervises instead).
    const script =
      'mkfifo out.fifo err.fifo; cat out.fifo > out.txt & cat err.fifo > err.txt & "$@" > out.fifo 2> err.fifo; code=$?; wait; exit $code';
    // Not spawnSync: the store answers from this process's event loop.
    const child = spawn(
      '/bin/sh',
      [
        '-c',
        script,
        'sh',
        process.execPath,
        builtMain,
        'run',
        '--app',
        app,
        ...connection(),
        '--log-level',
        'debug',
        '--',
        'node',
        reportFixture,
        '--exit=3',
      ],
      {
        cwd: sandbox,
        env: agentEnv(),
        stdio: 'ignore',
      },
    );
    const result = { status: await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))) };
    const stdout = await readFile(join(sandbox, 'out.txt'), 'utf8');
    const stderr = await readFile(join(sandbox, 'err.txt'), 'utf8');
    expect(result.status, stderr).toBe(3);
    const report = JSON.parse(stdout.split('\n').find((line) => line.startsWith('{"pid"')) ?? '{}') as FixtureReport;
    const agentPid = (JSON.parse(stderr.split('\n')[0] ?? '{}') as { pid?: number }).pid;
    expect(report.pid, stderr).toBe(agentPid);
    expect(report.env).toMatchObject({ API_KEY: 'api-key-value', ROOT_TOKEN: 'root-value' });
    expect(report.stdio['1']).toEqual({ nonBlocking: false });
    expect(report.stdio['2']).toEqual({ nonBlocking: false });
    expect(stderr).toContain('replacing the agent with the workload (exec)');
    // The fixture does see the flag when a process has made its pipe non-blocking.
    const touched = spawnSync(
      process.execPath,
      ['--import', 'data:text/javascript,process.stdout.write("")', reportFixture],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect((JSON.parse(touched.stdout.toString().split('\n')[0] ?? '') as FixtureReport).stdio['1']).toEqual({
      nonBlocking: true,
    });
  });

  it('keeps the agent credential out of the workload env, argv and logs; SIGTERM reaches the workload, 143 comes back and files are removed', async () => {
    const app = await env.writeApp('signals', fileApp);
    const sandbox = await env.sandbox();
    const agent = startAgent(
      [
        'run',
        '--app',
        app,
        '--url',
        env.url,
        '--sandbox',
        sandbox,
        '--log-level',
        'debug',
        '--',
        'node',
        reportFixture,
        '--wait',
        ...fileArgs,
      ],
      {
        cwd: sandbox,
        env: agentEnv({ DCOS_SERVICE_ACCOUNT_CREDENTIAL: env.credentialJson }),
      },
    );
    const report = (await agent.waitForLine((line) => typeof line['pid'] === 'number' && 'env' in line)) as unknown as {
      env: Record<string, string>;
      files: Record<string, { realPath: string }>;
    };
    await agent.waitForLine((line) => 'ready' in line);
    expect(report.env['DB_PASSWORD']).toBe(canaryValue);
    expect(report.env).not.toHaveProperty('DCOS_SERVICE_ACCOUNT_CREDENTIAL');
    const cmdline = await readFile(`/proc/${agent.pid}/cmdline`, 'utf8');
    const agentEnviron = await readFile(`/proc/${agent.pid}/environ`, 'utf8');
    expect(cmdline).not.toContain(canaryValue);
    expect(agentEnviron).not.toContain(canaryValue);
    expect(cmdline).not.toContain('private_key');
    agent.child.kill('SIGTERM');
    await agent.waitForLine((line) => line['signal'] === 'SIGTERM');
    const result = await agent.done;
    expect(result.code).toBe(143);
    await expect(stat(report.files['secrets/db']?.realPath ?? '')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(lstat(join(sandbox, 'secrets/db'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(result.stderr).not.toContain(canaryValue);
    expect(result.stderr).not.toContain('PRIVATE KEY');
  });

  it('SIGINT to the agent is forwarded; a workload that exits 0 on it gives 0', async () => {
    const app = await env.writeApp('sigint', fileApp);
    const sandbox = await env.sandbox();
    const agent = startAgent(
      [
        'run',
        '--app',
        app,
        ...connection(),
        '--sandbox',
        sandbox,
        '--',
        'node',
        reportFixture,
        '--wait',
        '--on-term=exit:0',
      ],
      { cwd: sandbox },
    );
    await agent.waitForLine((line) => 'ready' in line);
    agent.child.kill('SIGINT');
    await agent.waitForLine((line) => line['signal'] === 'SIGINT');
    expect((await agent.done).code).toBe(0);
  });

  it('runs the workload as --user with files, links and directory owned by it', async (context) => {
    if (!isRoot) context.skip('--user needs root');
    const user = nobody();
    const app = await env.writeApp('user', fileApp);
    const result = await run(app, ['--user', String(user.uid)], ['node', reportFixture, ...fileArgs]);
    expect(result.code, result.stderr).toBe(0);
    const report = parseReport(result);
    expect([report.uid, report.gid]).toEqual([user.uid, user.gid]);
    expect(report.files['secrets/db']).toMatchObject({
      uid: user.uid,
      gid: user.gid,
      mode: 0o400,
      dirUid: user.uid,
      dirMode: 0o700,
    });
    expect(decodeContent(report.files['secrets/db'])).toBe(canaryValue);
  });

  it('workload command not found: 127, nothing left behind', async () => {
    const app = await env.writeApp('not-found', fileApp);
    const result = await run(app, [], ['/nonexistent/command']);
    expect(result.code).toBe(127);
    expect(result.stderr).toMatch(/ERR_WORKLOAD_NOT_FOUND/);
    await expect(lstat(join(result.sandbox, 'keytab'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('run: pods', () => {
  const pod = {
    id: '/analytics/ingest',
    environment: { KAFKA_PASSWORD: { secret: 'kafka' }, SHARED: 'shared' },
    secrets: {
      kafka: { source: 'analytics/kafka-password' },
      s3: { source: 'analytics/ingest/s3-secret-key' },
      tls: { source: 'analytics/tls-bundle' },
    },
    volumes: [{ name: 'tls', secret: 'tls' }],
    containers: [
      {
        name: 'collector',
        environment: { ROLE: 'collector' },
        volumeMounts: [{ name: 'tls', mountPath: 'certs/bundle.pem' }],
      },
      {
        name: 'uploader',
        environment: { S3_SECRET_KEY: { secret: 's3' } },
        volumeMounts: [{ name: 'tls', mountPath: 'tls/bundle.pem' }],
      },
    ],
  };

  it('gives each container of a multi-container pod its own env and mounts', async () => {
    const app = await env.writeApp('pod', pod);
    const collector = await run(
      app,
      ['--container', 'collector'],
      ['node', reportFixture, 'certs/bundle.pem', 'tls/bundle.pem'],
    );
    expect(collector.code, collector.stderr).toBe(0);
    const collected = parseReport(collector);
    expect(collected.env).toMatchObject({ KAFKA_PASSWORD: 'kafka-pw', SHARED: 'shared', ROLE: 'collector' });
    expect(collected.env).not.toHaveProperty('S3_SECRET_KEY');
    expect(decodeContent(collected.files['certs/bundle.pem'])).toBe('tls-bundle');
    expect(collected.files['tls/bundle.pem']).toEqual({ error: 'ENOENT' });

    const uploaded = parseReport(
      await run(app, ['--container', 'uploader'], ['node', reportFixture, 'tls/bundle.pem']),
    );
    expect(uploaded.env).toMatchObject({ KAFKA_PASSWORD: 'kafka-pw', S3_SECRET_KEY: 's3-key' });
    expect(decodeContent(uploaded.files['tls/bundle.pem'])).toBe('tls-bundle');
  });

  it('refuses a multi-container pod without --container (64) and names the containers', async () => {
    const app = await env.writeApp('pod-no-container', pod);
    const result = await run(app, [], ['node', reportFixture]);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/"collector", "uploader"/);
    expect(result.stdout).toBe('');
  });
});

describe('run: spaces and optional secrets', () => {
  const outside = {
    id: '/team/app',
    env: { OTHER: { secret: 'other' } },
    secrets: { other: { source: 'other/secret' } },
  };

  it('refuses a secret outside the app space (77) before asking the store, and allows it with --no-spaces', async () => {
    const app = await env.writeApp('outside', outside);
    const before = env.fetchCount('other/secret');
    const denied = await run(app, [], ['node', reportFixture]);
    expect(denied.code).toBe(77);
    expect(denied.stderr).toContain(
      'Secret "other/secret" (used at /env/OTHER) is outside the space of app "/team/app"',
    );
    expect(denied.stderr).toContain('ERR_SECRET_SPACE_DENIED');
    expect(denied.stdout).toBe('');
    expect(env.fetchCount('other/secret')).toBe(before);
    const allowed = await run(app, ['--no-spaces'], ['node', reportFixture]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(parseReport(allowed).env['OTHER']).toBe('other-value');
  });

  it('allows secrets in a folder that leads the app id and at the root', async () => {
    const app = await env.writeApp('inside', {
      ...envApp,
      id: '/team/app/worker',
      env: { ...envApp.env, CA: { secret: 'ca' } },
      secrets: { ...envApp.secrets, ca: { source: 'team/shared-ca' } },
    });
    const result = await run(app, [], ['node', reportFixture]);
    expect(result.code, result.stderr).toBe(0);
    expect(parseReport(result).env['ROOT_TOKEN']).toBe('root-value');
  });

  it('skips an absent optional secret (--optional or the SECRETS_AGENT_OPTIONAL label) and fails closed without it (66)', async () => {
    const definition = {
      id: '/team/app',
      env: { API_KEY: { secret: 'api' }, MAYBE: { secret: 'maybe' } },
      container: { volumes: [{ containerPath: 'maybe.txt', secret: 'maybe' }] },
      secrets: { api: { source: 'team/app/api-key' }, maybe: { source: 'team/app/not-there' } },
    };
    const app = await env.writeApp('optional', definition);
    const flagged = await run(app, ['--optional', 'maybe'], ['node', reportFixture, 'maybe.txt']);
    expect(flagged.code, flagged.stderr).toBe(0);
    const report = parseReport(flagged);
    expect(report.env['API_KEY']).toBe('api-key-value');
    expect(report.env).not.toHaveProperty('MAYBE');
    expect(report.files['maybe.txt']).toEqual({ error: 'ENOENT' });

    const labelled = await env.writeApp('optional-label', {
      ...definition,
      labels: { SECRETS_AGENT_OPTIONAL: 'maybe' },
    });
    expect((await run(labelled, [], ['node', reportFixture])).code).toBe(0);

    const required = await run(app, [], ['node', reportFixture]);
    expect(required.code).toBe(66);
    expect(required.stderr.trim()).toBe(
      'error: Cannot read secret `team/app/not-there`: Secret `team/app/not-there` does not exist (ERR_SECRET_NOT_FOUND)',
    );
    expect(required.stdout).toBe('');
  });

  it('refuses --optional naming a secret the definition does not have (64)', async () => {
    const app = await env.writeApp('optional-unknown', envApp);
    const result = await run(app, ['--optional', 'nope'], ['node', reportFixture]);
    expect(result.code).toBe(64);
    expect(result.stderr).toMatch(/"nope"/);
  });
});

describe('run: fails closed, starting nothing', () => {
  it('forbidden (77): the service account may not read the path', async () => {
    const app = await env.writeApp('forbidden', {
      id: '/locked/app',
      env: { L: { secret: 'l' } },
      secrets: { l: { source: 'locked/secret' } },
    });
    const result = await run(app, [], ['node', reportFixture]);
    expect(result.code).toBe(77);
    expect(result.stderr).toMatch(/^error: Cannot read secret `locked\/secret`: .*\(ERR_FORBIDDEN\)\n$/);
    expect(result.stdout).toBe('');
  });

  it('unreachable store (69) after bounded retries within --timeout', async () => {
    const app = await env.writeApp('unreachable', envApp);
    const sandbox = await env.sandbox();
    const result = await runAgentCli(
      [
        'run',
        '--app',
        app,
        '--url',
        'http://127.0.0.1:1',
        '--credential-file',
        env.credentialFile,
        '--timeout',
        '5s',
        '--',
        'node',
        reportFixture,
      ],
      { cwd: sandbox },
    );
    expect(result.code).toBe(69);
    expect(result.stderr).toMatch(
      /error: Cannot read secret `(root-token|team\/app\/api-key)`: .*ERR_STORE_UNREACHABLE/,
    );
    expect(result.stdout).toBe('');
  });

  it('expired token (77): the client sees the expiry and, holding no credential, cannot log in again', async () => {
    env.store.advanceClock(-6 * 24 * 3600 * 1000);
    const token = await env.store.iam.issueToken('agent-node');
    env.store.resetClock();
    const tokenFile = join(env.dir, 'expired-token');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const app = await env.writeApp('expired', envApp);
    const sandbox = await env.sandbox();
    const result = await runAgentCli(
      ['run', '--app', app, '--url', env.url, '--token-file', tokenFile, '--', 'node', reportFixture],
      { cwd: sandbox },
    );
    expect(result.code).toBe(77);
    expect(result.stderr).toMatch(
      /error: Cannot read secret `(root-token|team\/app\/api-key)`: .*expired at .*ERR_AUTH_LOGIN_REQUIRED/,
    );
    expect(result.stdout).toBe('');
  });

  it('a binary secret bound to an env var (65), with its pointer', async () => {
    const app = await env.writeApp('binary-env', {
      id: '/team/app',
      env: { KEYTAB: { secret: 'k' } },
      secrets: { k: { source: 'team/app/keytab' } },
    });
    const result = await run(app, [], ['node', reportFixture]);
    expect(result.code).toBe(65);
    expect(result.stderr).toContain(
      '/env/KEYTAB: secret "k" (source "team/app/keytab") is binary and cannot be an environment variable',
    );
  });

  it('a store that accepts but never answers: --timeout ends the run (69), without waiting for the hung request', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const app = await env.writeApp('hung', envApp);
      const tokenFile = join(env.dir, 'hung-token');
      await writeFile(tokenFile, 'not-checked\n', { mode: 0o600 });
      const sandbox = await env.sandbox();
      const result = await runAgentCli(
        [
          'run',
          '--app',
          app,
          '--url',
          `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
          '--token-file',
          tokenFile,
          '--timeout',
          '1s',
          '--',
          'node',
          reportFixture,
        ],
        { cwd: sandbox },
      );
      expect(result.code).toBe(69);
      expect(result.stderr).toMatch(
        /^error: Cannot read secret `(root-token|team\/app\/api-key)`: .*\(ERR_TIMEOUT\)\n$/,
      );
      expect(result.stdout).toBe('');
    } finally {
      silent.close();
    }
  });

  it('SIGTERM while fetching stops the agent cleanly (143), starting nothing', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const connected = new Promise<void>((resolve) => silent.once('connection', () => resolve()));
    try {
      const app = await env.writeApp('stopped-early', fileApp);
      const sandbox = await env.sandbox();
      const marker = join(sandbox, 'started');
      const tokenFile = join(env.dir, 'some-token');
      await writeFile(tokenFile, 'not-checked\n', { mode: 0o600 });
      const agent = startAgent(
        [
          'run',
          '--app',
          app,
          '--url',
          `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
          '--token-file',
          tokenFile,
          '--',
          'touch',
          marker,
        ],
        { cwd: sandbox },
      );
      await connected;
      agent.child.kill('SIGTERM');
      const result = await agent.done;
      expect(result.code).toBe(143);
      expect(result.stderr).toContain('stop signal before the workload started');
      await expect(stat(marker)).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      silent.close();
    }
  });

  it('sealed store (69)', async () => {
    const app = await env.writeApp('sealed', envApp);
    await env.store.server.store.seal.seal();
    try {
      const result = await run(app, ['--timeout', '5s'], ['node', reportFixture]);
      expect(result.code).toBe(69);
      expect(result.stderr).toMatch(/error: Cannot read secret `(root-token|team\/app\/api-key)`: .*ERR_STORE_SEALED/);
      expect(result.stdout).toBe('');
    } finally {
      await env.store.server.store.seal.autoUnseal();
    }
  });
});

describe('run: the batch read and its fallback (issue 13)', () => {
  const mixed = {
    id: '/team/app',
    env: { API_KEY: { secret: 'api' }, DB: { secret: 'db' } },
    secrets: { api: { source: 'team/app/api-key' }, db: { source: 'team/app/db-password' } },
  };
  const missing = { ...mixed, secrets: { ...mixed.secrets, db: { source: 'team/app/not-there' } } };
  const locked = { id: '/locked/app', env: { L: { secret: 'l' } }, secrets: { l: { source: 'locked/secret' } } };

  it.each([
    ['a store with the batch read: one POST, no GET', false],
    ['a store that answers the batch route 404 (DC/OS): one GET per secret', true],
  ])('%s; same values, same 66 and 77 messages', async (_title, refuseBatch) => {
    env.proxy.refuseBatch = refuseBatch;
    try {
      const batchKey = 'POST /secrets/v1/batch/default';
      const getKey = 'GET /secrets/v1/secret/default/team/app/api-key';
      const [batchesBefore, getsBefore] = [env.proxy.counts.get(batchKey) ?? 0, env.proxy.counts.get(getKey) ?? 0];
      const ok = await run(await env.writeApp(`batch-ok-${refuseBatch}`, mixed), [], ['node', reportFixture]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(parseReport(ok).env).toMatchObject({ API_KEY: 'api-key-value', DB: canaryValue });
      expect((env.proxy.counts.get(batchKey) ?? 0) - batchesBefore).toBe(1);
      expect((env.proxy.counts.get(getKey) ?? 0) - getsBefore).toBe(refuseBatch ? 1 : 0);

      const absent = await run(await env.writeApp(`batch-66-${refuseBatch}`, missing), [], ['node', reportFixture]);
      expect(absent.code).toBe(66);
      expect(absent.stderr.trim()).toBe(
        'error: Cannot read secret `team/app/not-there`: Secret `team/app/not-there` does not exist (ERR_SECRET_NOT_FOUND)',
      );
      const forbidden = await run(await env.writeApp(`batch-77-${refuseBatch}`, locked), [], ['node', reportFixture]);
      expect(forbidden.code).toBe(77);
      expect(forbidden.stderr).toMatch(/^error: Cannot read secret `locked\/secret`: .*\(ERR_FORBIDDEN\)\n$/);
      expect(`${ok.stderr}${absent.stderr}${forbidden.stderr}`).not.toContain(canaryValue);
    } finally {
      env.proxy.refuseBatch = false;
    }
  });
});

describe('run: the token cache (issue 13)', () => {
  const app = {
    id: '/team/app',
    env: { API_KEY: { secret: 'api' } },
    secrets: { api: { source: 'team/app/api-key' } },
  };
  const loginKey = 'POST /acs/api/v1/auth/login';
  const fakeToken = (expSeconds: number): string =>
    [
      { alg: 'RS256', typ: 'JWT' },
      { uid: 'agent-node', exp: expSeconds },
    ]
      .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
      .concat('c2lnbmF0dXJl')
      .join('.');

  it('reuses the token of the previous run (0600 file), logs in again when it is refused or expired', async () => {
    const stateDir = await mkdtemp(join(env.dir, 'state-'));
    const definition = await env.writeApp('token-cache', app);
    const logins = (): number => env.proxy.counts.get(loginKey) ?? 0;
    const runWithState = () => run(definition, ['--state-dir', stateDir], ['node', reportFixture]);

    const before = logins();
    const first = await runWithState();
    expect(first.code, first.stderr).toBe(0);
    expect(logins() - before).toBe(1);
    const [file] = await readdir(join(stateDir, 'run-tokens'));
    const cacheFile = join(stateDir, 'run-tokens', file ?? '');
    expect((await stat(cacheFile)).mode & 0o777).toBe(0o600);
    const cached = await readFile(cacheFile, 'utf8');

    const second = await runWithState();
    expect(second.code, second.stderr).toBe(0);
    expect(parseReport(second).env['API_KEY']).toBe('api-key-value');
    expect(logins() - before).toBe(1);

    // A token the store refuses (not signed by it): 401, a fresh login, the new token cached.
    await writeFile(cacheFile, `${fakeToken(Math.floor(Date.now() / 1000) + 3600)}\n`, { mode: 0o600 });
    const refused = await runWithState();
    expect(refused.code, refused.stderr).toBe(0);
    expect(logins() - before).toBe(2);
    const renewed = await readFile(cacheFile, 'utf8');
    expect(renewed).not.toContain('c2lnbmF0dXJl');
    // The store's own RS256 token (a 2048-bit signature), not the forged one; it may equal `cached`, since
    // two logins within one second get the same claims and so the same signature.
    expect(renewed.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]{300,}$/);

    // An expired token is not even sent: a login comes first.
    await writeFile(cacheFile, `${fakeToken(Math.floor(Date.now() / 1000) - 60)}\n`, { mode: 0o600 });
    const expired = await runWithState();
    expect(expired.code, expired.stderr).toBe(0);
    expect(logins() - before).toBe(3);
    expect(`${first.stderr}${second.stderr}${refused.stderr}${expired.stderr}`).not.toContain(cached.trim());
  });
});

describe('run: start-up path (issue 13)', () => {
  // The same account with a key that is PEM-shaped but not a key: only a login can tell.
  async function brokenKeyCredential(): Promise<string> {
    const credential = JSON.parse(await readFile(env.credentialFile, 'utf8')) as Record<string, string>;
    const file = join(env.dir, `broken-key-${Date.now()}.json`);
    const broken = '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n';
    await writeFile(file, JSON.stringify({ ...credential, private_key: broken }), { mode: 0o600 });
    return file;
  }

  async function runWith(credentialFile: string, stateDir: string) {
    const app = await env.writeApp(`key-check-${Date.now()}`, envApp);
    const sandbox = await env.sandbox();
    const args = ['run', '--app', app, '--url', env.url, '--credential-file', credentialFile, '--state-dir', stateDir];
    return runAgentCli([...args, '--sandbox', sandbox, '--', 'node', reportFixture], { cwd: sandbox });
  }

  it('reads the credential key at the first login: a cached token spares it, a login names /private_key', async () => {
    const stateDir = await mkdtemp(join(env.dir, 'state-'));
    expect((await runWith(env.credentialFile, stateDir)).code).toBe(0);
    const broken = await brokenKeyCredential();
    // The token the first run cached is still good: no login, so the key is never needed.
    const cached = await runWith(broken, stateDir);
    expect(cached.code, cached.stderr).toBe(0);
    expect(parseReport(cached).env['API_KEY']).toBe('api-key-value');
    // No cached token: the login reads the key and fails as a load-time check did, starting nothing.
    const fresh = await runWith(broken, await mkdtemp(join(env.dir, 'state-')));
    expect(fresh.code).toBe(78);
    expect(fresh.stderr).toMatch(
      /^error: credential from --credential-file: \/private_key cannot be read as a private key.*\(ERR_AUTH_CREDENTIAL_INVALID\)$/m,
    );
    expect(fresh.stdout).toBe('');
  });

  it('a credential that is not PEM at all still fails before any request', async () => {
    const credential = JSON.parse(await readFile(env.credentialFile, 'utf8')) as Record<string, string>;
    const file = join(env.dir, 'not-pem.json');
    await writeFile(file, JSON.stringify({ ...credential, private_key: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC' }), {
      mode: 0o600,
    });
    const result = await runWith(file, await mkdtemp(join(env.dir, 'state-')));
    expect(result.code).toBe(78);
    expect(result.stderr).toContain('/private_key is not a PEM private key');
  });

  it('the built executable loads no built-in its common path does not use (crypto, fs/promises, child_process, zlib, http)', async () => {
    // Each costs 0.4–2 ms of a start-up measured against `node -e 0` (docs/benchmarks.md); a stray
    // top-level import in any module of run's bundle brings one back, which this catches.
    const executable = await bundleCli();
    const stateDir = await mkdtemp(join(env.dir, 'state-'));
    const app = await env.writeApp('builtins', envApp);
    const recordFile = join(env.dir, `builtins-${Date.now()}.json`);
    const runRecorded = async () => {
      const sandbox = await env.sandbox();
      const result = await runAgentCli(
        ['run', '--app', app, ...connection(), '--state-dir', stateDir, '--', 'node', reportFixture],
        {
          cwd: sandbox,
          mainScript: executable,
          stdoutFile: join(sandbox, 'out.txt'),
          env: agentEnv({ NODE_OPTIONS: `--require=${recordBuiltinsFixture}`, RECORD_BUILTINS_FILE: recordFile }),
        },
      );
      expect(result.code, result.stderr).toBe(0);
      expect(parseReport(result).env['API_KEY']).toBe('api-key-value');
      return JSON.parse(await readFile(recordFile, 'utf8')) as { via: string; loaded: string[] };
    };
    // The first run logs in (signing with node:crypto); the second has the cached token.
    const first = await runRecorded();
    expect(first.loaded).toContain('NativeModule crypto');
    const second = await runRecorded();
    // node:http included: its client costs ~3.5 ms over node:net alone (client/socket-transport.ts).
    const unwanted = ['NativeModule crypto', 'NativeModule fs/promises', 'NativeModule zlib', 'NativeModule http'];
    // Supervising (no addon and no process.execve) needs child_process; exec must not.
    if (second.via !== 'exit') unwanted.push('NativeModule child_process');
    expect(second.loaded.filter((name) => unwanted.includes(name))).toEqual([]);
    expect(second.loaded).toContain('NativeModule net');
  });

  // Runs the built executable twice with its own cache home: the cache named `prefix` is written
  // once (0600, one file) and accepted the second time, so not rewritten.
  async function expectCacheWrittenOnceAndReused(
    prefix: string,
    runOnce: (options: { mainScript: string; env: Record<string, string> }) => Promise<void>,
  ): Promise<void> {
    const mainScript = await bundleCli();
    const cacheHome = await mkdtemp(join(env.dir, 'xdg-cache-'));
    const options = { mainScript, env: agentEnv({ XDG_CACHE_HOME: cacheHome }) };
    const directory = join(cacheHome, 'secrets-agent');
    const cacheFiles = async () =>
      (await readdir(directory)).filter((name) => name.startsWith(prefix) && name.endsWith('.v8cache'));
    await runOnce(options);
    const [file, ...others] = await cacheFiles();
    expect(others).toEqual([]);
    const path = join(directory, file ?? '');
    const first = await stat(path);
    expect(first.mode & 0o777).toBe(0o600);
    expect(first.size).toBeGreaterThan(50_000);
    await runOnce(options);
    expect(await cacheFiles()).toEqual([file]);
    expect((await stat(path)).mtimeMs).toBe(first.mtimeMs);
  }

  it('the built executable saves its code cache before the workload replaces it (exec) and reuses it', async () => {
    // The cache is written at the last moment (the agent's onStartupDone), so it holds the request and
    // response functions too; a run that execs before calling it would never leave a cache at all.
    const stateDir = await mkdtemp(join(env.dir, 'state-'));
    const app = await env.writeApp('code-cache', envApp);
    await expectCacheWrittenOnceAndReused('run-', async (options) => {
      const result = await runAgentCli(
        ['run', '--app', app, ...connection(), '--state-dir', stateDir, '--', 'node', reportFixture],
        { cwd: await env.sandbox(), ...options },
      );
      expect(result.code, result.stderr).toBe(0);
      expect(parseReport(result).env['API_KEY']).toBe('api-key-value');
    });
  });

  it('a supervised run (secret files) loads execa from the build beside the bundle, with a cache of its own', async () => {
    // run-execa.cjs instead of ~40 ES modules from node_modules; its cache is written once the
    // workload has started, so it holds what spawning compiled.
    const app = await env.writeApp('execa-cache', fileApp);
    await expectCacheWrittenOnceAndReused('execa-', async (options) => {
      const result = await runAgentCli(
        ['run', '--app', app, ...connection(), '--', 'node', reportFixture, ...fileArgs],
        { cwd: await env.sandbox(), ...options },
      );
      expect(result.code, result.stderr).toBe(0);
      expect(decodeContent(parseReport(result).files['secrets/db'])).toBe(canaryValue);
    });
  });

  it('the built executable hands help and usage errors to the full CLI (yargs), and runs the common shape itself', async () => {
    const executable = await bundleCli();
    const sandbox = await env.sandbox();
    const help = await runAgentCli(['run', '--help'], { cwd: sandbox, mainScript: executable });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('Fetch the secrets of an app definition');
    expect(help.stderr).toBe('');
    const usage = await runAgentCli(['run', '--app'], { cwd: sandbox, mainScript: executable });
    expect(usage.code).toBe(64);
    expect(usage.stderr).toMatch(/^error: /);
    const unknown = await runAgentCli(['frobnicate'], { cwd: sandbox, mainScript: executable });
    expect(unknown.code).toBe(64);
    const version = await runAgentCli(['--version'], { cwd: sandbox, mainScript: executable });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const app = await env.writeApp('built-executable', envApp);
    const ran = await runAgentCli(['run', '--app', app, ...connection(), '--', 'node', reportFixture], {
      cwd: sandbox,
      mainScript: executable,
    });
    expect(ran.code, ran.stderr).toBe(0);
    expect(parseReport(ran).env['API_KEY']).toBe('api-key-value');
  });
});

describe('run: OpenPGP-encrypted values (gpg interop)', () => {
  let gpg: GpgHome;
  let keyFile: string;

  beforeAll(async () => {
    gpg = await createGpgHome();
    const email = await gpg.generateRsaKey('secrets-agent node', 2048);
    const exported = await gpg.gpg(['--armor', '--export-secret-keys', email]);
    keyFile = join(env.dir, 'node-key.asc');
    await writeFile(keyFile, exported.stdout, { mode: 0o600 });
    const armored = await gpg.gpg(['--armor', '--trust-model', 'always', '--encrypt', '-r', email], canaryValue);
    const binary = await gpg.gpg(['--trust-model', 'always', '--encrypt', '-r', email], keytab);
    expect([armored.code, binary.code]).toEqual([0, 0]);
    await env.put('team/app/pgp-armored', armored.stdout.toString('utf8'));
    await env.put('team/app/pgp-binary', new Uint8Array(binary.stdout), 'binary');
  }, 120_000);

  afterAll(async () => {
    await gpg?.close();
  });

  it('decrypts armored and binary messages with --pgp-key-file', async () => {
    const app = await env.writeApp('pgp', {
      id: '/team/app',
      env: { DECRYPTED: { secret: 'armored' } },
      container: { volumes: [{ containerPath: 'keytab', secret: 'binary' }] },
      secrets: { armored: { source: 'team/app/pgp-armored' }, binary: { source: 'team/app/pgp-binary' } },
    });
    const result = await run(app, ['--pgp-key-file', keyFile], ['node', reportFixture, 'keytab']);
    expect(result.code, result.stderr).toBe(0);
    const report = parseReport(result);
    expect(report.env['DECRYPTED']).toBe(canaryValue);
    expect(new Uint8Array(Buffer.from(report.files['keytab']?.content ?? '', 'base64'))).toEqual(keytab);
  });
});

describe('explain and run --dry-run', () => {
  it('prints env vars and files with their paths and sizes, never values, and starts nothing', async () => {
    const app = await env.writeApp('explain', { ...fileApp, labels: { SECRETS_AGENT_ON_CHANGE: 'restart' } });
    const sandbox = await env.sandbox();
    const marker = join(sandbox, 'started');
    const result = await runAgentCli(['run', '--app', app, ...connection(), '--dry-run', '--', 'touch', marker], {
      cwd: sandbox,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      [
        'app /team/app, on change: restart',
        'secret team/app/db-password [db]: ok, text, 26 bytes',
        '  env  DB_PASSWORD',
        '  file secrets/db',
        'secret team/app/keytab [keytab]: ok, binary, 256 bytes',
        '  file keytab',
        'secret team/shared-ca [ca]: ok, text, 31 bytes',
        '  file ca/ca.pem',
        'plain env: PLAIN',
        'delivery: supervise (3 files on tmpfs, removed when the workload exits)',
        '',
      ].join('\n'),
    );
    await expect(stat(marker)).rejects.toMatchObject({ code: 'ENOENT' });

    const explained = await runAgentCli(['explain', '--app', app, ...connection(), '--json'], { cwd: sandbox });
    expect(explained.code).toBe(0);
    expect(JSON.parse(explained.stdout)).toMatchObject({
      kind: 'app',
      appId: '/team/app',
      delivery: 'supervise',
      secrets: [{ sourcePath: 'team/app/db-password', status: 'ok', bytes: 26 }, {}, {}],
    });
    expect(explained.stdout).not.toContain(canaryValue);
  });

  it('reports every path it cannot read and exits with the first failure code', async () => {
    const app = await env.writeApp('explain-bad', {
      id: '/locked/app',
      env: { L: { secret: 'l' }, M: { secret: 'm' } },
      secrets: { l: { source: 'locked/secret' }, m: { source: 'locked/missing' } },
    });
    const result = await runAgentCli(['explain', '--app', app, ...connection()], { cwd: env.dir });
    expect(result.code).toBe(77);
    expect(result.stdout).toMatch(
      /secret locked\/missing \[m\]: FAILED: Cannot read secret `locked\/missing`: .*\(ERR_FORBIDDEN\)/,
    );
    expect(result.stdout).toContain('delivery: exec (environment only; the agent replaces itself with the workload)');
    const offline = await runAgentCli(['explain', '--app', app, '--offline'], { cwd: env.dir });
    expect(offline.code).toBe(0);
    expect(offline.stdout).toContain('secret locked/secret [l]: not checked (no store)');
  });
});
