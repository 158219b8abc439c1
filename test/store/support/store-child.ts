// `secrets-agent store serve` as a real child process running the bundled CLI with plain node
// (what `npm run build` produces), for tests that must see the process survive or die.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { recordLogText } from '../../helpers/log-capture.js';
import { bundleCli } from '../../agent/support/bundled-cli.js';
import { makeDataDir } from './temp-storage.js';

export interface StoreChild {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** The break-glass token (`Authorization: token=<token>`). */
  readonly token: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Whether the process is still running. */
  alive(): boolean;
  stderr(): string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<number | string>;
}

export interface StoreChildOptions {
  /** Reuse a data directory (a restart); default: a fresh one. */
  readonly dataDir?: string;
  readonly extraArgs?: readonly string[];
}

/** The break-glass token every StoreChild accepts. */
export const storeChildToken = 'store-child-token-0123456789abcdef';

let bundled: Promise<string> | undefined;

// The bundled CLI, built once per test file.
export function bundledMain(): Promise<string> {
  bundled ??= bundleCli();
  return bundled;
}

// Starts `store serve --data-dir DIR --listen 127.0.0.1:0 --token-file F`; resolves once it listens.
export async function startStoreChild(options: StoreChildOptions = {}): Promise<StoreChild> {
  const dataDir = options.dataDir ?? (await makeDataDir('store-child-'));
  const token = storeChildToken;
  const tokenFile = join(dataDir, 'token');
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  const main = await bundledMain();
  const child = spawn(
    process.execPath,
    [
      main,
      'store',
      'serve',
      '--data-dir',
      dataDir,
      '--listen',
      '127.0.0.1:0',
      '--token-file',
      tokenFile,
      ...(options.extraArgs ?? []),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  let running = true;
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => {
      running = false;
      recordLogText(stderr);
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const line = stderr.split('\n').find((text) => text.includes('"secret store listening"'));
      if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
    });
    void exited.then((code) => reject(new Error(`store serve exited early (${String(code)}): ${stderr}`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    dataDir,
    token,
    child,
    exited,
    alive: () => running,
    stderr: () => stderr,
    async stop() {
      if (running) child.kill('SIGTERM');
      return exited;
    },
  };
}
