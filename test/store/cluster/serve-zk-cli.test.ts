// Issue 7: `secrets-agent store serve --storage zk://... --zk-auth ... --instance-id ...` as real
// child processes, two of them on one 3-member ensemble, as one per master behind a load balancer.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canaryValue } from '../../helpers/canary.js';
import { recordLogText } from '../../helpers/log-capture.js';
import { useZooKeeperEnsemble } from '../../helpers/zookeeper-fixture.js';
import { rawRequest } from '../support/store-server.js';
import { makeDataDir } from '../support/temp-storage.js';
import { runBufferedCli } from '../../cli/commands/support/buffered-cli.js';
import { eventually, valueOf } from './support/cluster.js';

const zkPassword = 'zk-cli-password-5e1b';
const token = 'cluster-cli-token';
const headers = { authorization: `token=${token}`, 'content-type': 'application/json' };
const zk = useZooKeeperEnsemble({ members: 3 });

interface Served {
  readonly url: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr(): string;
}

async function serve(instanceId: string, authVia: 'env' | 'flag'): Promise<Served> {
  const dataDir = await makeDataDir(`cli-zk-${instanceId}-`);
  const tokenFile = join(dataDir, 'token');
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  const storage = `zk://${zk.ensemble.connectionString}/cli-cluster?juteMaxBufferBytes=${zk.ensemble.juteMaxBufferBytes}`;
  const auth = `secrets-agent:${zkPassword}`;
  const args = [
    '--import',
    'tsx',
    'src/cli/main.ts',
    'store',
    'serve',
    '--storage',
    storage,
    '--instance-id',
    instanceId,
    '--data-dir',
    dataDir,
    '--listen',
    '127.0.0.1:0',
    '--token-file',
    tokenFile,
  ];
  const child = spawn(process.execPath, authVia === 'flag' ? [...args, '--zk-auth', auth] : args, {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...(authVia === 'env' ? { ZK_AUTH: auth } : {}) },
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      for (const line of stderr.split('\n')) {
        if (line.includes('"secret store listening"')) resolve((JSON.parse(line) as { url: string }).url);
      }
    });
    void exited.then((code) => reject(new Error(`store serve exited early (${String(code)}): ${stderr}`)));
  });
  return { url, child, exited, stderr: () => stderr };
}

describe('store serve on ZooKeeper (child processes)', () => {
  it('two instances share secrets; each has its own seal state; both exit 0 on SIGTERM and never log the ZooKeeper password', async () => {
    const m1 = await serve('m1', 'env');
    const m2 = await serve('m2', 'flag');
    try {
      const listening = JSON.parse(
        m1
          .stderr()
          .split('\n')
          .find((line) => line.includes('"secret store listening"')) ?? '{}',
      ) as Record<string, unknown>;
      expect(listening).toMatchObject({ instanceId: 'm1', driver: 'zookeeper', sealed: false });
      const put = await rawRequest(m1.url, {
        method: 'PUT',
        path: '/secrets/v1/secret/default/cli/db',
        headers,
        body: JSON.stringify({ value: canaryValue }),
      });
      expect(put.status, put.body.toString('utf8')).toBe(201);
      expect(
        await eventually(async () =>
          valueOf(await rawRequest(m2.url, { path: '/secrets/v1/secret/default/cli/db', headers })),
        ),
      ).toBe(canaryValue);

      expect((await rawRequest(m1.url, { method: 'PUT', path: '/secrets/v1/seal/default', headers })).status).toBe(200);
      expect((await rawRequest(m1.url, { path: '/secrets/v1/secret/default/cli/db', headers })).status).toBe(503);
      expect(valueOf(await rawRequest(m2.url, { path: '/secrets/v1/secret/default/cli/db', headers }))).toBe(
        canaryValue,
      );
      expect((await rawRequest(m2.url, { path: '/secrets/v1/store', headers })).json).toMatchObject({
        array: [{ name: 'default', driver: 'zookeeper' }],
      });
    } finally {
      m1.child.kill('SIGTERM');
      m2.child.kill('SIGTERM');
    }
    expect(await m1.exited).toBe(0);
    expect(await m2.exited).toBe(0);
    for (const served of [m1, m2]) {
      recordLogText(served.stderr());
      expect(served.stderr()).not.toContain(zkPassword);
      expect(served.stderr()).toContain('"zookeeper storage closed"');
    }
  });

  it('secret commands open the ZooKeeper store in-process with --data-dir and ZK_AUTH or --zk-auth; without auth they are refused', async () => {
    const m3 = await serve('m3', 'env');
    try {
      const put = await rawRequest(m3.url, {
        method: 'PUT',
        path: '/secrets/v1/secret/default/cli/local',
        headers,
        body: JSON.stringify({ value: canaryValue }),
      });
      expect(put.status, put.body.toString('utf8')).toBe(201);
      const dataDir = await makeDataDir('cli-zk-local-');
      const storage = `zk://${zk.ensemble.connectionString}/cli-cluster?juteMaxBufferBytes=${zk.ensemble.juteMaxBufferBytes}`;
      const local = ['--data-dir', dataDir, '--storage', storage];
      const viaEnv = await runBufferedCli(['secret', 'get', 'cli/local', ...local, '--base-path', '/'], {
        env: { ZK_AUTH: `secrets-agent:${zkPassword}` },
      });
      expect(viaEnv.code, viaEnv.stderr).toBe(0);
      expect(viaEnv.stdout).toBe(canaryValue);
      const viaFlag = await runBufferedCli([
        'secret',
        'list',
        'cli',
        ...local,
        '--base-path',
        '/',
        '--zk-auth',
        `secrets-agent:${zkPassword}`,
      ]);
      expect(viaFlag.code, viaFlag.stderr).toBe(0);
      expect(viaFlag.stdout).toContain('local');
      // The znodes carry digest ACLs: another identity cannot read them.
      const noAuth = await runBufferedCli(['secret', 'get', 'cli/local', ...local, '--base-path', '/'], { env: {} });
      expect(noAuth.code).not.toBe(0);
      expect(`${noAuth.stdout}${noAuth.stderr}`).not.toContain(canaryValue);
      expect(viaEnv.stderr + viaFlag.stderr + noAuth.stderr).not.toContain(zkPassword);
    } finally {
      m3.child.kill('SIGTERM');
    }
    expect(await m3.exited).toBe(0);
  });
});
