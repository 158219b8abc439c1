// The real CLI as a child process (`node --import tsx src/cli/main.ts ...`), for end-to-end tests of
// `run`: exit code, stdout lines, stderr (recorded for the canary check), and the agent's PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { recordLogText } from '../../helpers/log-capture.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const tsxLoader = fileURLToPath(new URL('node_modules/tsx/dist/loader.mjs', `file://${repoRoot}`));
const sourceMain = `${repoRoot}src/cli/main.ts`;
export const reportFixture = `${repoRoot}test/fixtures/agent/report.mjs`;
// Preload recording the built-ins the agent loaded by the time it execs (or exits).
export const recordBuiltinsFixture = `${repoRoot}test/fixtures/agent/record-builtins.cjs`;

export interface AgentRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly pid: number;
}

export interface AgentProcessOptions {
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Send the agent's stdout and stderr to this file and `<file>.err` instead of pipes: under the
   * tsx loader the agent's pipes become non-blocking (tsx creates process.stdout and stderr), and
   * the agent then supervises rather than exec (src/supervisor/stdio-blocking.ts). */
  readonly stdoutFile?: string;
  /** Run this built main.js with plain node instead of src/cli/main.ts under tsx. */
  readonly mainScript?: string;
  /** Start the agent as this user (the tests run as root). */
  readonly user?: { readonly uid: number; readonly gid: number };
}

export interface RunningAgent {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves with the first stdout line that parses as JSON and satisfies `test`. */
  waitForLine(test: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  readonly done: Promise<AgentRun>;
}

// Base environment: PATH only, so nothing of the test runner's environment reaches the agent by accident.
export function agentEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...extra };
}

export function startAgent(args: readonly string[], options: AgentProcessOptions): RunningAgent {
  const stdoutFd = options.stdoutFile === undefined ? undefined : openSync(options.stdoutFile, 'w');
  const stderrFd = options.stdoutFile === undefined ? undefined : openSync(`${options.stdoutFile}.err`, 'w');
  const child = spawn(
    process.execPath,
    options.mainScript === undefined ? ['--import', tsxLoader, sourceMain, ...args] : [options.mainScript, ...args],
    {
      cwd: options.cwd,
      env: options.env ?? agentEnv(),
      stdio: ['ignore', stdoutFd ?? 'pipe', stderrFd ?? 'pipe'],
      ...(options.user === undefined ? {} : { uid: options.user.uid, gid: options.user.gid }),
    },
  );
  if (stdoutFd !== undefined) closeSync(stdoutFd);
  if (stderrFd !== undefined) closeSync(stderrFd);
  let stdout = '';
  let stderr = '';
  const waiters: Array<{
    test: (line: Record<string, unknown>) => boolean;
    resolve: (line: Record<string, unknown>) => void;
  }> = [];
  const seen: Record<string, unknown>[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    const lines = stdout
      .slice(0, stdout.lastIndexOf('\n') + 1)
      .split('\n')
      .filter((line) => line.startsWith('{'));
    for (const line of lines.slice(seen.length)) {
      try {
        seen.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        seen.push({});
      }
    }
    for (const waiter of [...waiters]) {
      const match = seen.find(waiter.test);
      if (match !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const done = new Promise<AgentRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const err = options.stdoutFile === undefined ? stderr : readFileSync(`${options.stdoutFile}.err`, 'utf8');
      // stderr carries the agent's log lines (the canary guard checks them); stdout is the workload's.
      recordLogText(err);
      const out = options.stdoutFile === undefined ? stdout : readFileSync(options.stdoutFile, 'utf8');
      resolve({ code, signal, stdout: out, stderr: err, pid: child.pid ?? -1 });
    });
  });
  return {
    child,
    pid: child.pid ?? -1,
    done,
    waitForLine(test) {
      const match = seen.find(test);
      if (match !== undefined) return Promise.resolve(match);
      return new Promise((resolve, reject) => {
        waiters.push({ test, resolve });
        void done.then((run) =>
          reject(
            new Error(
              `agent exited (code ${String(run.code)}) before the expected line; stderr: ${run.stderr.slice(-2000)}`,
            ),
          ),
        );
      });
    },
  };
}

// Runs the CLI to completion.
export function runAgentCli(args: readonly string[], options: AgentProcessOptions): Promise<AgentRun> {
  return startAgent(args, options).done;
}

// The first JSON line the report fixture printed.
export function parseReport(run: AgentRun): FixtureReport {
  const line = run.stdout.split('\n').find((text) => text.startsWith('{"pid"'));
  if (line === undefined)
    throw new Error(`no report line; exit ${String(run.code)}; stderr: ${run.stderr.slice(-2000)}`);
  return JSON.parse(line) as FixtureReport;
}

export interface FixtureFile {
  readonly content?: string;
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly symlink?: boolean;
  readonly realPath?: string;
  readonly dirMode?: number;
  readonly dirUid?: number;
  readonly error?: string;
}

export interface FixtureReport {
  readonly pid: number;
  readonly ppid: number;
  readonly cwd: string;
  readonly uid: number;
  readonly gid: number;
  readonly env: Record<string, string>;
  readonly files: Record<string, FixtureFile>;
  /** Per stdio fd: whether it arrived non-blocking (null: closed). */
  readonly stdio: Record<string, { readonly nonBlocking: boolean } | null>;
}

export function decodeContent(file: FixtureFile | undefined): string {
  return Buffer.from(file?.content ?? '', 'base64').toString('utf8');
}
