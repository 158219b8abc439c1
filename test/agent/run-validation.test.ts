// `run` refuses a bad definition before anything happens: every issue with its JSON pointer, the
// exit code from the error table, no store asked, no workload started. In-process (runCli, through runBufferedCli).
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runBufferedCli } from '../cli/commands/support/buffered-cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'run-validation-'));
});

async function runWith(
  definition: unknown,
  extra: readonly string[] = [],
): Promise<{ code: number; stdout: string; stderr: string; started: boolean }> {
  const app = join(dir, `app-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(app, typeof definition === 'string' ? definition : JSON.stringify(definition));
  const marker = `${app}.started`;
  // Port 1 refuses connections: a run that got as far as the store would fail differently (69).
  const { code, stdout, stderr } = await runBufferedCli(
    ['run', '--app', app, '--url', 'http://127.0.0.1:1', '--token-file', app, ...extra, '--', 'touch', marker],
    {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
      cwd: dir,
    },
  );
  const started = await stat(marker).then(
    () => true,
    () => false,
  );
  return { code, stdout, stderr, started };
}

describe('run: validation failures (nothing started)', () => {
  it.each([
    [
      'an env var referencing an undefined secret',
      { env: { DB: { secret: 'nope' } }, secrets: {} },
      '/env/DB/secret: references an undefined secret',
    ],
    [
      'a volume referencing an undefined secret',
      { container: { volumes: [{ containerPath: 'a', secret: 'nope' }] }, secrets: { s: { source: 'x' } } },
      '/container/volumes/0/secret: volume.secret must refer to an existing secret',
    ],
    [
      'an absolute containerPath',
      { container: { volumes: [{ containerPath: '/etc/passwd', secret: 's' }] }, secrets: { s: { source: 'x' } } },
      '/container/volumes/0/containerPath: must be relative, got "/etc/passwd"',
    ],
    [
      'a containerPath escaping the sandbox',
      { container: { volumes: [{ containerPath: 'a/../../b', secret: 's' }] }, secrets: { s: { source: 'x' } } },
      '/container/volumes/0/containerPath: must not contain ".." segments',
    ],
    [
      'an invalid pod env name',
      { containers: [{ name: 'c', environment: { '1BAD': { secret: 's' } } }], secrets: { s: { source: 'x' } } },
      '/containers/0/environment/1BAD: must contain only alphanumeric chars or underscore',
    ],
    [
      'a volumeMount naming no volume',
      { containers: [{ name: 'c', volumeMounts: [{ name: 'ghost', mountPath: 'x' }] }], secrets: {} },
      '/containers/0/volumeMounts/0/name: Referenced Volume in VolumeMount should exist',
    ],
    [
      'a pod volume referencing an undefined secret',
      {
        volumes: [{ name: 'v', secret: 'nope' }],
        containers: [{ name: 'c', volumeMounts: [{ name: 'v', mountPath: 'x' }] }],
        secrets: {},
      },
      '/volumes/0/secret: volume.secret must refer to an existing secret',
    ],
    [
      'an absolute secret source',
      { env: { A: { secret: 's' } }, secrets: { s: { source: '/abs' } } },
      '/secrets/s/source: must not start with "/"',
    ],
  ])('refuses %s with its pointer (65)', async (_name, definition, line) => {
    const result = await runWith(definition);
    expect(result.code).toBe(65);
    expect(result.stderr).toContain(line);
    expect(result.stderr).toContain('(ERR_APPDEF_INVALID)');
    expect(result.started).toBe(false);
    expect(result.stdout).toBe('');
  });

  it('lists every issue at once', async () => {
    const result = await runWith({
      env: { A: { secret: 'x' }, B: { secret: 'y' } },
      container: { volumes: [{ containerPath: '/abs', secret: 's' }] },
      secrets: { s: { source: 'ok' } },
    });
    expect(result.code).toBe(65);
    expect(result.stderr).toContain('App definition');
    expect(result.stderr).toContain(
      '(3 issues):\n/env/A/secret: references an undefined secret\n/env/B/secret: references an undefined secret\n/container/volumes/0/containerPath: must be relative',
    );
  });

  it('refuses text that is not JSON (65) with line and column', async () => {
    const result = await runWith('{\n  "env": {,\n}');
    expect(result.code).toBe(65);
    expect(result.stderr).toMatch(/line 2/);
    expect(result.started).toBe(false);
  });

  it('refuses a missing definition file (64), a missing command (64) and a bad --timeout (64)', async () => {
    const options = { env: {}, cwd: dir };
    const missing = await runBufferedCli(['run', '--app', join(dir, 'missing.json'), '--', 'true'], options);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toMatch(/Cannot read app definition .*missing\.json.*does not exist/);
    const app = join(dir, 'ok.json');
    await writeFile(app, '{"env":{}}');
    const noCommand = await runBufferedCli(['run', '--app', app], options);
    expect(noCommand.code).toBe(64);
    expect(noCommand.stderr).toContain('Expected the workload command after `--`');
    const badTimeout = await runBufferedCli(['run', '--app', app, '--timeout', 'soon', '--', 'true'], options);
    expect(badTimeout.code).toBe(64);
    expect(badTimeout.stderr).toContain('Expected `--timeout` to be a duration');
  });

  it('explain --offline validates and prints the plan without a store', async () => {
    const app = join(dir, 'explain.json');
    await writeFile(
      app,
      JSON.stringify({ id: '/a', env: { X: { secret: 's' }, P: 'plain' }, secrets: { s: { source: 'a/s' } } }),
    );
    const { code, stdout } = await runBufferedCli(['explain', '--app', app, '--offline'], { env: {}, cwd: dir });
    expect(code).toBe(0);
    expect(stdout).toBe(
      'app /a, on change: signal:SIGHUP\nsecret a/s [s]: not checked (no store)\n  env  X\nplain env: P\ndelivery: exec (environment only; the agent replaces itself with the workload)\n',
    );
  });
});
