import type { Readable, Writable } from 'node:stream';

// Everything a command touches from its surroundings, so tests run commands with buffers.
export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** 2 when `stderr` is the process's own fd 2: loggers then write to the fd synchronously, so no line is lost when `run` execs. */
  readonly stderrFd?: number;
  /** Called once `run` has done its own start-up work (just before exec; once a supervised workload
   * has started) and by `run --dry-run` after its reads: the run bundle's loader saves the code
   * caches that were missing then, so they hold every function of the path (run-bundle-loader.ts).
   * May be called more than once. */
  readonly warm?: () => void;
}

// Per-invocation state a command may set: the exit code it wants (e.g. a workload's own code).
export interface CommandResult {
  exitCode: number;
}

export function writeLine(stream: Writable, line: string): void {
  stream.write(`${line}\n`);
}

// Reads a whole stream (stdin) into memory, refusing more than `maxBytes`: a password, a key or
// a secret fed from a pipe must not grow without bound. `tooLarge` names what was too large.
export async function readCappedStream(
  stream: Readable,
  maxBytes: number,
  tooLarge: (total: number) => Error,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += buffer.length;
    if (total > maxBytes) {
      stream.destroy();
      throw tooLarge(total);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
