// examples/container (issue 15.7): the Dockerfile's ENTRYPOINT, parsed from the file and run as
// it is written, against a real store on loopback. Docker cannot run on the test machines, so the
// test builds the container's view by hand: a private mount namespace (unshare) where /etc is an
// overlay holding /etc/secrets-agent/app.json as COPY puts it, /run a fresh tmpfs (the secret
// tmpfs), and `secrets-agent` on PATH is the built CLI. The workload is the example's server.mjs.
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryValue } from '../helpers/canary.js';
import { recordLogText } from '../helpers/log-capture.js';
import { startRealStore, type RealStore } from '../client/support/real-store.js';

const exampleDir = resolve('examples/container');
let store: RealStore;

beforeAll(async () => {
  store = await startRealStore();
});
afterAll(async () => {
  await store.close();
});

// The JSON-array instruction `name` of the Dockerfile (exec form), e.g. ENTRYPOINT.
function execForm(dockerfile: string, name: string): string[] {
  const line = dockerfile.split('\n').find((text) => text.startsWith(`${name} [`));
  if (line === undefined) throw new Error(`no ${name} [...] line in the Dockerfile`);
  return JSON.parse(line.slice(name.length + 1)) as string[];
}

describe('examples/container (issue 15.7)', () => {
  it('the Dockerfile runs as a non-root user with tini/--init noted, and its ENTRYPOINT delivers app.json secrets', async () => {
    const dockerfile = await readFile(join(exampleDir, 'Dockerfile'), 'utf8');
    const entrypoint = execForm(dockerfile, 'ENTRYPOINT');
    expect(entrypoint).toEqual(['secrets-agent', 'run', '--app', '/etc/secrets-agent/app.json', '--']);
    expect(dockerfile).toMatch(/^USER app$/m);
    expect(dockerfile).toContain('--init');
    expect(dockerfile).toMatch(/^COPY app\.json \/etc\/secrets-agent\/app\.json$/m);

    await store.iam.grant({ uid: 'admin', rid: 'dcos:secrets:default:/shop/*', action: 'full' }, { createAcl: true });
    const credential = await store.createServiceAccount('shop-web', ['dcos:secrets:default:/shop/web/*']);
    for (const [path, value] of [
      ['shop/web/db-password', canaryValue],
      ['shop/web/tls-key', '-----BEGIN PRIVATE KEY-----\nexample\n'],
    ] as const) {
      const token = await store.iam.issueToken('admin');
      const response = await fetch(`${store.url}/secrets/v1/secret/default/${path}`, {
        method: 'PUT',
        headers: { authorization: `token=${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ value }),
      });
      expect(response.status).toBe(201);
    }

    const dir = await mkdtemp(join(tmpdir(), 'container-example-'));
    const bin = join(dir, 'bin');
    await mkdir(bin);
    await writeFile(
      join(bin, 'secrets-agent'),
      `#!/bin/sh\nexec "${process.execPath}" "${resolve('dist/src/cli/main.js')}" "$@"\n`,
    );
    await chmod(join(bin, 'secrets-agent'), 0o755);
    const sandbox = join(dir, 'app');
    await mkdir(sandbox);
    for (const sub of ['upper', 'work']) await mkdir(join(dir, sub));
    // The container's filesystem: COPY app.json /etc/secrets-agent/app.json, and a tmpfs on /run.
    const setup = [
      `mount -t overlay overlay -o lowerdir=/etc,upperdir=${dir}/upper,workdir=${dir}/work /etc`,
      'mkdir -p /etc/secrets-agent',
      `cp ${join(exampleDir, 'app.json')} /etc/secrets-agent/app.json`,
      'mount -t tmpfs -o mode=0755 tmpfs /run',
      'exec "$@"',
    ].join(' && ');
    const command = [...entrypoint, process.execPath, join(exampleDir, 'server.mjs')];
    const child = spawn('unshare', ['--mount', 'sh', '-c', setup, 'container', ...command], {
      cwd: sandbox,
      env: {
        PATH: `${bin}:${process.env['PATH'] ?? ''}`,
        DCOS_SERVICE_ACCOUNT_CREDENTIAL: JSON.stringify(credential),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const code = await new Promise<number | null>((done) => child.on('exit', (exitCode) => done(exitCode)));
    recordLogText(stderr);
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout.trim())).toEqual({
      databasePasswordBytes: Buffer.byteLength(canaryValue),
      tlsKeyBytes: Buffer.byteLength('-----BEGIN PRIVATE KEY-----\nexample\n'),
      logLevel: 'info',
    });
    expect(stdout).not.toContain(canaryValue);
    await rm(dir, { recursive: true, force: true });
  });
});
