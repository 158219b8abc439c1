// `run` against a workload that turns on it, and against SIGKILL: real store, real agent process,
// real workloads, real /proc and /dev/shm. Issue 12.4 (the workload reads the agent's credential)
// and 12.5 (a killed agent leaves its workload and secret files behind).
import { chmod, chown, lstat, mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryValue } from '../../helpers/canary.js';
import { agentEnv, reportFixture, repoRoot, runAgentCli, startAgent } from '../../agent/support/agent-process.js';
import { startAgentStore, type AgentStore } from '../../agent/support/agent-store.js';
import { isRoot, nobody } from '../../deliver/support/scratch.js';

const readParentFixture = `${repoRoot}test/fixtures/agent/read-parent.mjs`;
let env: AgentStore;
let secretRoot: string;

const fileApp = {
  id: '/team/app',
  env: { DB_PASSWORD: { secret: 'db' } },
  container: { type: 'MESOS', volumes: [{ containerPath: 'secrets/db', secret: 'db' }] },
  secrets: { db: { source: 'team/app/db-password' } },
};

beforeAll(async () => {
  env = await startAgentStore(['dcos:secrets:default:/team/*']);
  await env.put('team/app/db-password', canaryValue);
  secretRoot = join('/dev/shm', `secrets-agent-hardening-${process.pid}`);
  await mkdir(secretRoot, { recursive: true });
  // Shared like /dev/shm itself: the 12.4 test's agent runs as nobody.
  await chmod(secretRoot, 0o1777);
}, 120_000);

afterAll(async () => {
  await env?.close();
  if (secretRoot !== undefined) await rm(secretRoot, { recursive: true, force: true });
});

// A base64 line from the middle of the credential's PEM: bytes only the private key has.
function privateKeyNeedle(): string {
  const pem = (JSON.parse(env.credentialJson) as { private_key: string }).private_key;
  const lines = pem.split('\n').filter((line) => /^[A-Za-z0-9+/]{64}$/.test(line));
  const line = lines[Math.floor(lines.length / 2)];
  if (line === undefined) throw new Error('the test credential has no full base64 line');
  return line;
}

function isGone(pid: number): Promise<boolean> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then(
    // A zombie (state Z) has exited; only its parent's wait is missing.
    (stat) => stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z'),
    () => true,
  );
}

describe.skipIf(!isRoot)('run: the workload cannot read the agent (issue 12.4)', () => {
  it('a supervised workload of the same uid finds the private key neither in /proc/<agent>/environ nor in its memory', async () => {
    const user = nobody();
    const sandbox = await env.sandbox();
    await chown(sandbox, user.uid, user.gid);
    const app = await env.writeApp('read-parent', fileApp);
    const needle = privateKeyNeedle();
    const agent = startAgent(
      [
        'run',
        '--app',
        app,
        '--url',
        env.url,
        '--sandbox',
        sandbox,
        '--secret-root',
        secretRoot,
        '--',
        'node',
        readParentFixture,
      ],
      {
        cwd: sandbox,
        user,
        // The credential inline in the environment: the case /proc/<pid>/environ would expose.
        env: agentEnv({
          DCOS_SERVICE_ACCOUNT_CREDENTIAL: env.credentialJson,
          NEEDLE_REVERSED: [...needle].reverse().join(''),
        }),
      },
    );
    const result = await agent.done;
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout.split('\n').find((line) => line.startsWith('{"uid"')) ?? '{}') as {
      uid: number;
      ppid: number;
      environ: string;
      maps: string;
      mem: string;
    };
    // Same user, supervised by the agent: the attack this guards against.
    expect(report.uid).toBe(user.uid);
    expect(report.ppid).toBe(result.pid);
    expect(report.environ).not.toBe('found');
    expect(report.mem).not.toBe('found');
    // Non-dumpable: /proc/<pid> belongs to root and refuses the workload outright.
    expect(report).toMatchObject({ environ: 'EACCES', maps: 'EACCES', mem: 'EACCES' });
    expect(result.stderr).not.toContain(needle);
  });
});

describe('run: SIGKILL of the agent (issue 12.5)', () => {
  it('the workload dies with the agent, and the next run removes the stale secret directory and sandbox links', async () => {
    const app = await env.writeApp('killed', fileApp);
    const sandbox = await env.sandbox();
    const agent = startAgent(
      [
        'run',
        '--app',
        app,
        '--url',
        env.url,
        '--credential-file',
        env.credentialFile,
        '--sandbox',
        sandbox,
        '--secret-root',
        secretRoot,
        '--',
        'node',
        reportFixture,
        '--wait',
        'secrets/db',
      ],
      { cwd: sandbox },
    );
    const report = (await agent.waitForLine((line) => typeof line['pid'] === 'number' && 'files' in line)) as {
      pid: number;
      ppid: number;
      files: Record<string, { realPath: string }>;
    };
    await agent.waitForLine((line) => 'ready' in line);
    expect(report.ppid).toBe(agent.pid);
    const secretFile = report.files['secrets/db']?.realPath ?? '';
    const secretDir = secretFile.slice(0, -'/secrets/db'.length);
    expect(secretDir.startsWith(`${secretRoot}/secrets-agent.${agent.pid}.`), secretDir).toBe(true);

    agent.child.kill('SIGKILL');
    expect((await agent.done).signal).toBe('SIGKILL');
    // The kernel delivers the parent-death signal at once; 5 s is an order-of-magnitude guard.
    const deadline = Date.now() + 5_000;
    while (!(await isGone(report.pid)) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await isGone(report.pid), `workload ${report.pid} still runs`).toBe(true);
    // Nothing in the agent ran: its files and links are still there.
    expect((await lstat(join(sandbox, 'secrets/db'))).isSymbolicLink()).toBe(true);
    expect(await readdir(secretRoot)).toContain(secretDir.slice(secretRoot.length + 1));

    const next = await runAgentCli(
      [
        'run',
        '--app',
        app,
        '--url',
        env.url,
        '--credential-file',
        env.credentialFile,
        '--sandbox',
        await env.sandbox(),
        '--secret-root',
        secretRoot,
        '--log-level',
        'info',
        '--',
        'node',
        reportFixture,
      ],
      { cwd: sandbox },
    );
    expect(next.code, next.stderr).toBe(0);
    await expect(lstat(secretDir)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(lstat(join(sandbox, 'secrets/db'))).rejects.toMatchObject({ code: 'ENOENT' });
    // The directory made for the link goes too; the sweep's record beside the directory as well.
    await expect(lstat(join(sandbox, 'secrets'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(secretRoot)).toEqual([]);
    expect(next.stderr).toContain('removed stale secret links');
  });
});
