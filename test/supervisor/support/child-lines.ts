// Runs a fixture program as a real child and reads its stdout as JSON lines; stderr (our JSON
// logs) goes to the canary capture. Waits on lines and exit events, never on time.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordLogText } from '../../helpers/log-capture.js';

export const fixtureDir = fileURLToPath(new URL('../../fixtures/workload/', import.meta.url));

export function fixturePath(name: string): string {
  return `${fixtureDir}${name}`;
}

export interface ChildRun {
  readonly child: ChildProcess;
  readonly lines: unknown[];
  /** Resolves with the first (already seen or future) line that matches. */
  waitFor(predicate: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Resolves with the exit code and signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly stderr: () => string;
}

export interface RunFixtureOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * stdin from /dev/null, stdout and stderr to regular files read at exit, instead of pipes:
   * tsx makes piped stdio non-blocking, and execWorkload (rightly) declines to exec then.
   */
  fileStdio?: boolean;
  /** A command that runs node, e.g. `['unshare', '--pid', '--fork', '--mount-proc']`. */
  wrapper?: readonly string[];
}

// Spawns `node [--import tsx] <fixture> ...args` with pipes for stdin/stdout/stderr.
export function runFixture(name: string, args: readonly string[], options: RunFixtureOptions = {}): ChildRun {
  const nodeArgs = name.endsWith('.ts')
    ? ['--import', 'tsx', fixturePath(name), ...args]
    : [fixturePath(name), ...args];
  const outputDir =
    options.fileStdio === true
      ? mkdtempSync(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'stdio-'))
      : undefined;
  const stdoutFile = outputDir === undefined ? undefined : join(outputDir, 'stdout');
  const stderrFile = outputDir === undefined ? undefined : join(outputDir, 'stderr');
  const stdio =
    stdoutFile === undefined || stderrFile === undefined
      ? (['pipe', 'pipe', 'pipe'] as const)
      : (['ignore', openSync(stdoutFile, 'w'), openSync(stderrFile, 'w')] as const);
  const [command, ...commandArgs] = [...(options.wrapper ?? []), process.execPath, ...nodeArgs] as [
    string,
    ...string[],
  ];
  const child = spawn(command, commandArgs, { env: options.env ?? process.env, stdio: [...stdio] });
  for (const fd of stdio) if (typeof fd === 'number') closeSync(fd);
  const lines: unknown[] = [];
  const waiters: {
    predicate: (line: Record<string, unknown>) => boolean;
    resolve: (line: Record<string, unknown>) => void;
  }[] = [];
  let stdoutBuffer = '';
  let stderrText = '';
  const onStdout = (chunk: string): void => {
    stdoutBuffer += chunk;
    let newline = stdoutBuffer.indexOf('\n');
    while (newline !== -1) {
      const text = stdoutBuffer.slice(0, newline);
      stdoutBuffer = stdoutBuffer.slice(newline + 1);
      newline = stdoutBuffer.indexOf('\n');
      let line: unknown;
      try {
        line = JSON.parse(text);
      } catch {
        line = { text };
      }
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(line as Record<string, unknown>)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line as Record<string, unknown>);
        }
      }
    }
  };
  child.stdout?.setEncoding('utf8').on('data', onStdout);
  const onStderr = (chunk: string): void => {
    stderrText += chunk;
    recordLogText(chunk);
  };
  child.stderr?.setEncoding('utf8').on('data', onStderr);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      if (stdoutFile !== undefined) onStdout(readFileSync(stdoutFile, 'utf8'));
      if (stderrFile !== undefined) onStderr(readFileSync(stderrFile, 'utf8'));
      if (stdoutBuffer !== '') onStdout('\n'); // a last line without a newline

      resolve({ code, signal });
    });
  });
  return {
    child,
    lines,
    exited,
    stderr: () => stderrText,
    waitFor(predicate) {
      const seen = lines.find((line) => predicate(line as Record<string, unknown>));
      if (seen !== undefined) return Promise.resolve(seen as Record<string, unknown>);
      return new Promise((resolve, reject) => {
        waiters.push({ predicate, resolve });
        void exited.then(({ code, signal }) =>
          reject(
            new Error(
              `child exited (code ${String(code)}, signal ${String(signal)}) before the awaited line; stderr: ${stderrText}`,
            ),
          ),
        );
      });
    },
  };
}
