// `run`'s argv without yargs must mean exactly what yargs makes of it, or be left to yargs.
// Every accepted vector is parsed by both and compared option by option.
import yargs, { type Argv } from 'yargs';
import { describe, expect, it } from 'vitest';
import { parseRunArgv, runOptions } from '../../src/cli/commands/run.js';
import { runBufferedCli } from './commands/support/buffered-cli.js';

// The `run` command as run-cli.ts and commands/run.ts declare it, with a handler that keeps argv.
async function parseWithYargs(argv: readonly string[]): Promise<Record<string, unknown>> {
  let seen: Record<string, unknown> | undefined;
  await yargs([...argv])
    .strict()
    .exitProcess(false)
    .env(false)
    .version(false)
    .fail((message: string | null, error: Error | undefined) => {
      throw error ?? new Error(message ?? 'usage');
    })
    .command(
      'run [workload..]',
      'run',
      (command: Argv) => command.options(runOptions).positional('workload', { type: 'string', array: true }),
      (parsed) => {
        seen = parsed as unknown as Record<string, unknown>;
      },
    )
    .parseAsync();
  if (seen === undefined) throw new Error('yargs did not reach the handler');
  return seen;
}

// What runCommand reads: every option, and the workload (positional words and those after `--`).
function meaning(argv: Record<string, unknown>): Record<string, unknown> {
  const positional = ((argv['_'] as unknown[] | undefined) ?? []).map(String);
  if (positional[0] === 'run') positional.shift();
  const workload = [...((argv['workload'] as unknown[] | undefined) ?? []).map(String), ...positional];
  return { ...Object.fromEntries(Object.keys(runOptions).map((name) => [name, argv[name]])), workload };
}

const accepted: string[][] = [
  ['run', '--app', 'app.json', '--', '/bin/true'],
  [
    'run',
    '--app=app.json',
    '--url',
    'http://127.0.0.1:1',
    '--credential-file',
    'sa.json',
    '--',
    'cmd',
    '--help',
    '-x',
    '--',
    'y',
  ],
  ['run', '--app', 'app.json', '--no-spaces', '--allow-disk', '--dry-run', '--json', '--', 'cmd'],
  [
    'run',
    '--app',
    'app.json',
    '--spaces',
    '--optional',
    'a',
    '--optional=b,c',
    '--timeout',
    '5s',
    '--kill-timeout=1m',
    '--log-level',
    'debug',
  ],
  [
    'run',
    '--app',
    'a b.json',
    '--data-dir',
    '/var/lib/store',
    '--storage',
    'file:///x',
    '--sandbox',
    '/srv',
    '--user',
    'nobody:nogroup',
    '--',
    'sh',
    '-c',
    'echo $X',
  ],
  [
    'run',
    '--app',
    'app.json',
    '--pgp-key-file',
    'k.asc',
    '--pgp-passphrase-file',
    'p',
    '--ca-file',
    'ca.pem',
    '--token-file',
    't',
    '--username',
    'u',
    '--password-file',
    'pw',
    '--state-dir',
    's',
    '--secret-root',
    '/dev/shm',
    '--container',
    'web',
  ],
  ['run', '--app', 'app.json'],
];

const leftToYargs: string[][] = [
  ['run', '--help'],
  ['run', '-h'],
  ['run', '--app', 'app.json', '--bogus', 'x', '--', 'cmd'],
  ['run', '--app', 'app.json', 'cmd', 'arg'],
  ['run', '--app', 'app.json', '--optional', 'a', 'b', '--', 'cmd'],
  ['run', '--app', 'a.json', '--app', 'b.json', '--', 'cmd'],
  ['run', '--app', 'app.json', '--log-level', 'loud', '--', 'cmd'],
  ['run', '--url', 'http://x', '--', 'cmd'],
  ['run', '--app', '--', 'cmd'],
  ['run', '--app=', '--', 'cmd'],
  ['run', '--app', 'app.json', '--allow-disk=false', '--', 'cmd'],
  ['run', '--app', 'app.json', '--no-allow-disk', '--allow-disk', '--', 'cmd'],
  ['run', '--app', 'app.json', '--dataDir', '/x', '--', 'cmd'],
  ['run', '--app', 'app.json', '--no-url', '--', 'cmd'],
  ['run', '--app'],
  ['explain', '--app', 'app.json'],
];

describe('parseRunArgv', () => {
  it.each(accepted)('means what yargs means: %j', async (...argv) => {
    const plain = parseRunArgv(argv);
    expect(plain).toBeDefined();
    expect(meaning(plain as Record<string, unknown>)).toEqual(meaning(await parseWithYargs(argv)));
  });

  it.each(leftToYargs)('leaves anything unusual to yargs: %j', (...argv) => {
    expect(parseRunArgv(argv)).toBeUndefined();
  });

  it('still gives yargs its usage errors and help for `run`', async () => {
    const unknown = await runBufferedCli(['run', '--app', 'app.json', '--bogus', 'x', '--', 'true']);
    expect(unknown.code).toBe(64);
    expect(unknown.stderr).toContain('Unknown argument: bogus');
    const help = await runBufferedCli(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--credential-file');
  });

  it('runs a plain `run` without yargs, with the same failures', async () => {
    const missing = await runBufferedCli(['run', '--app', '/nonexistent/app.json', '--', 'true']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/^error: .*\/nonexistent\/app\.json.*\(ERR_/m);
    const noWorkload = await runBufferedCli(['run', '--app', 'app.json']);
    expect(noWorkload.code).toBe(64);
    expect(noWorkload.stderr).toContain('Expected the workload command after `--`');
    const badDuration = await runBufferedCli(['run', '--app', 'app.json', '--timeout', 'soon', '--', 'true']);
    expect(badDuration.code).toBe(64);
    expect(badDuration.stderr).toContain('Expected `--timeout` to be a duration');
  });
});
