// CLI conventions (issue 15.3): --version, shell completion, unknown commands, option groups and
// environment variables in --help, settings from the environment, duration --token-lifetime, and
// the log-level bug: a bad SECRETS_AGENT_LOG_LEVEL is a configuration error (78), not internal (70).
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDaemonSettings } from '../../src/daemon/daemon-config.js';
import { canaryValue } from '../helpers/canary.js';
import { recordLogText } from '../helpers/log-capture.js';
import { rawRequest } from '../store/support/store-server.js';
import { makeDataDir } from '../store/support/temp-storage.js';
import { runBufferedCli as cli } from './commands/support/buffered-cli.js';

interface ChildRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

// Runs src/cli/main.ts in a real child process with exactly `env` (plus PATH) and waits for its exit.
async function runMain(args: readonly string[], env: Record<string, string>): Promise<ChildRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: process.cwd(),
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  recordLogText(stderr);
  return { code, stdout, stderr };
}

describe('secrets-agent CLI conventions (issue 15.3)', () => {
  it('--version prints the package.json version, in-process and from the real entry point', async () => {
    const { version } = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    const run = await cli(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(version);
    const child = await runMain(['--version'], {});
    expect(child.code).toBe(0);
    expect(child.stdout.trim()).toBe(version);
  });

  it('`completion` prints a bash completion script, and the completion hook completes command names', async () => {
    const script = await cli(['completion']);
    expect(script.code).toBe(0);
    expect(script.stdout).toContain('###-begin-secrets-agent-completions-###');
    expect(script.stdout).toContain('--get-yargs-completions');
    const words = await cli(['--get-yargs-completions', 'secrets-agent', 'se']);
    expect(words.code).toBe(0);
    expect(words.stdout.split('\n')).toEqual(expect.arrayContaining(['secret', 'status']));
    const sub = await cli(['--get-yargs-completions', 'secrets-agent', 'store', '']);
    expect(sub.stdout.split('\n')).toEqual(expect.arrayContaining(['serve', 'seal', 'unseal']));
  });

  it('an unknown command says so and exits 64 (with a suggestion when one is close)', async () => {
    const unknown = await cli(['frobnicate']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('unknown command `frobnicate`');
    const typo = await cli(['secert']);
    expect(typo.code).toBe(64);
    expect(typo.stderr).toContain('unknown command `secert`. Did you mean secret?');
    // An unknown word after a known command stays an unknown argument.
    const stray = await cli(['store', 'seal-status', 'stray']);
    expect(stray.code).toBe(64);
    expect(stray.stderr).not.toContain('unknown command');
  });

  it('--help groups command and connection options and names every setting variable', async () => {
    const serve = await cli(['store', 'serve', '--help']);
    expect(serve.code).toBe(0);
    for (const heading of ['Storage options:', 'Server options:', 'Initialization options:'])
      expect(serve.stdout).toContain(heading);
    for (const name of [
      'SECRETS_AGENT_STORE_LISTEN',
      'SECRETS_AGENT_STORE_DATA_DIR',
      'ZK_AUTH',
      'SECRETS_AGENT_LOG_LEVEL',
    ])
      expect(serve.stdout).toContain(name);
    const daemon = await cli(['daemon', '--help']);
    expect(daemon.stdout).toContain('Command options:');
    expect(daemon.stdout).toContain('Connection options:');
    for (const name of [
      'SECRETS_AGENT_APPS_DIR',
      'SECRETS_AGENT_POLL_INTERVAL',
      'SECRETS_AGENT_CONFIG',
      'DCOS_CLUSTER_URL',
    ])
      expect(daemon.stdout).toContain(name);
    const run = await cli(['run', '--help']);
    expect(run.stdout.indexOf('Command options:')).toBeLessThan(run.stdout.indexOf('Connection options:'));
  });

  it('SECRETS_AGENT_LOG_LEVEL=loud makes `store serve` and `daemon` exit 78 (ERR_CONFIG_INVALID), not 70 (issue 15.3)', async () => {
    const dir = await makeDataDir('cli-loglevel-');
    const env = { SECRETS_AGENT_LOG_LEVEL: 'loud' };
    const serve = await runMain(['store', 'serve', '--data-dir', join(dir, 'store'), '--listen', '127.0.0.1:0'], env);
    expect(serve.code, serve.stderr).toBe(78);
    expect(serve.stderr).toContain('ERR_CONFIG_INVALID');
    expect(serve.stderr).toContain('SECRETS_AGENT_LOG_LEVEL');
    const daemon = await runMain(['daemon', '--apps-dir', dir, '--status-socket', join(dir, 'status.sock')], env);
    expect(daemon.code, daemon.stderr).toBe(78);
    expect(daemon.stderr).toContain('ERR_CONFIG_INVALID');
    // The short commands resolve the level through the same validator.
    const status = await cli(['secret', 'list', '--data-dir', join(dir, 'store')], { env });
    expect(status.code).toBe(78);
  });

  it('`store serve` takes every setting from its variable; --token-lifetime (and its variable) take durations', async () => {
    const dir = await makeDataDir('cli-serve-env-');
    const passwordFile = join(dir, 'admin.password');
    await writeFile(passwordFile, `${canaryValue}\n`, { mode: 0o600 });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'store', 'serve'], {
      cwd: process.cwd(),
      env: {
        PATH: process.env['PATH'] ?? '',
        SECRETS_AGENT_STORE_DATA_DIR: join(dir, 'store'),
        SECRETS_AGENT_STORE_LISTEN: '127.0.0.1:0',
        SECRETS_AGENT_STORE_SUPERUSER: 'admin',
        SECRETS_AGENT_STORE_PASSWORD_FILE: passwordFile,
        SECRETS_AGENT_STORE_TOKEN_LIFETIME: '90m',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString('utf8');
          for (const line of stderr.split('\n'))
            if (line.includes('"secret store listening"')) resolve((JSON.parse(line) as { url: string }).url);
        });
        void exited.then((code) => reject(new Error(`store serve exited early (${String(code)}): ${stderr}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const response = await rawRequest(url, {
        method: 'POST',
        path: '/acs/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ uid: 'admin', password: canaryValue }),
      });
      expect(response.status).toBe(200);
      const token = (response.json as { token: string }).token;
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
        iat: number;
        exp: number;
      };
      expect(claims.exp - claims.iat).toBe(90 * 60);
      // stderr is a pipe here, not a terminal: no progress line among the JSON log lines.
      expect(stderr).not.toContain('generating the RSA-4096 bootstrap');
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      recordLogText(stderr);
    }
  });

  it('--token-lifetime rejects what is not a duration of at least a second, naming the flag (exit 64)', async () => {
    const dir = await makeDataDir('cli-token-lifetime-');
    for (const value of ['0', '500ms', 'soon', '-5']) {
      const run = await cli([
        'store',
        'serve',
        '--data-dir',
        dir,
        '--listen',
        '127.0.0.1:0',
        '--token-lifetime',
        value,
      ]);
      expect(run.code, `${value}: ${run.stderr}`).toBe(64);
      expect(run.stderr).toContain('Expected `--token-lifetime` to be a duration');
    }
    const fromEnv = await cli(['store', 'serve', '--data-dir', dir, '--listen', '127.0.0.1:0'], {
      env: { SECRETS_AGENT_STORE_AUTO_INIT: 'maybe' },
    });
    expect(fromEnv.code).toBe(78);
    expect(fromEnv.stderr).toContain('SECRETS_AGENT_STORE_AUTO_INIT');
  });

  it('every daemon setting has a variable; flags beat variables, which beat defaults', () => {
    const settings = loadDaemonSettings({
      env: { SECRETS_AGENT_APPS_DIR: '/apps', SECRETS_AGENT_POLL_INTERVAL: '5m', SECRETS_AGENT_HOLD_AFTER: '9' },
      flags: { holdAfter: 3 },
    });
    expect(settings.appsDir).toBe('/apps');
    expect(settings.pollIntervalMs).toBe(300_000);
    expect(settings.holdAfter).toBe(3);
    expect(() => loadDaemonSettings({ env: { SECRETS_AGENT_KILL_TIMEOUT: 'later' } })).toThrow(
      /SECRETS_AGENT_KILL_TIMEOUT/,
    );
  });

  it('on a terminal, the first start says it is generating the bootstrap key (a real pty via script(1))', async () => {
    const dir = await makeDataDir('cli-serve-tty-');
    // A taken port: the store initializes (generating the key), then fails to listen and exits 78 by itself.
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    const port = (taken.address() as { port: number }).port;
    const command = [
      process.execPath,
      '--import',
      'tsx',
      'src/cli/main.ts',
      'store',
      'serve',
      '--data-dir',
      join(dir, 'store'),
      '--listen',
      `127.0.0.1:${port}`,
    ]
      .map((word) => `'${word}'`)
      .join(' ');
    const output = await new Promise<{ code: number | null; text: string }>((done) => {
      const child = execFile(
        'script',
        ['-qec', command, '/dev/null'],
        { env: { PATH: process.env['PATH'] ?? '' }, timeout: 120_000 },
        (error, stdout) =>
          done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, text: stdout }),
      );
      child.stdin?.end();
    });
    taken.close();
    recordLogText(output.text);
    expect(output.text).toContain('First start: generating the RSA-4096 bootstrap OpenPGP key');
    expect(output.text.indexOf('First start')).toBeLessThan(output.text.indexOf('"store initialized"'));
    expect(output.code).toBe(78);
  });
});
