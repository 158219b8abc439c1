// Runs the CLI in-process with buffers for stdin/stdout/stderr (the envconsul pattern), and
// records stderr as log text so the canary guard sees it.
import { Readable, Writable } from 'node:stream';
import { runCli } from '../../../../src/cli/run-cli.js';
import { commandGroups } from '../../../../src/cli/commands/index.js';
import { recordLogText } from '../../../helpers/log-capture.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stdoutBytes: Buffer;
  readonly stderr: string;
}

export interface CliRunOptions {
  readonly stdin?: string | Uint8Array;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  /** Make stdout look like a terminal. */
  readonly tty?: boolean;
}

export async function runBufferedCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  const out: Buffer[] = [];
  let stderr = '';
  const stdout = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      out.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      callback();
    },
  });
  if (options.tty === true) Object.assign(stdout, { isTTY: true });
  const code = await runCli(
    args,
    {
      stdin: Readable.from([Buffer.from(options.stdin ?? '')]),
      stdout,
      stderr: new Writable({
        write(chunk: Buffer | string, _encoding, callback) {
          stderr += chunk.toString();
          callback();
        },
      }),
      env: options.env ?? {},
      cwd: options.cwd ?? process.cwd(),
    },
    { groups: commandGroups },
  );
  recordLogText(stderr);
  const stdoutBytes = Buffer.concat(out);
  return { code, stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr };
}
