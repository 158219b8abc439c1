// A new account's password for `store init|serve --superuser` and `iam user create`: from a file,
// from stdin (`-`), or typed at a terminal prompt with echo off. Never from argv, where `ps` and
// shell history would show it.
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { SecretsAgentError } from '../core/errors.js';
import { readPasswordFile } from './connection.js';
import { readCappedStream, type CliIo } from './io.js';

const maxPasswordBytes = 4096;

export interface PasswordInputOptions {
  /** `--password-file` value: a path, or `-` for stdin; undefined: prompt on a terminal. */
  readonly file: string | undefined;
  /** Names the account in the prompt and in errors, e.g. `superuser \`admin\``. */
  readonly who: string;
}

// Reads the password the options point at; ERR_USAGE when there is no file and no terminal to ask.
export async function readPasswordInput(options: PasswordInputOptions, io: CliIo): Promise<string> {
  if (options.file === '-') return readPasswordFromStdin(io.stdin, options.who);
  if (options.file !== undefined) return readPasswordFile(resolve(io.cwd, options.file));
  const terminal = io.stdin as Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  if (terminal.isTTY !== true || typeof terminal.setRawMode !== 'function') {
    throw new SecretsAgentError(
      'ERR_USAGE',
      `the password for ${options.who} comes from --password-file FILE (or \`--password-file -\` for stdin), or a prompt on a terminal; none is available`,
    );
  }
  const first = await promptHidden(terminal, io, `Password for ${options.who}: `);
  const second = await promptHidden(terminal, io, 'Repeat the password: ');
  if (first !== second)
    throw new SecretsAgentError('ERR_INPUT_INVALID', `the two passwords typed for ${options.who} differ`);
  if (first === '') throw new SecretsAgentError('ERR_INPUT_INVALID', `the password for ${options.who} is empty`);
  return first;
}

// The first line of stdin (trailing newline dropped), capped like a password file.
async function readPasswordFromStdin(stdin: Readable, who: string): Promise<string> {
  const bytes = await readCappedStream(
    stdin,
    maxPasswordBytes,
    () =>
      new SecretsAgentError(
        'ERR_INPUT_INVALID',
        `the password for ${who} on stdin is larger than ${maxPasswordBytes} bytes`,
      ),
  );
  const password = bytes.toString('utf8').replace(/\r?\n$/, '');
  if (password === '') throw new SecretsAgentError('ERR_INPUT_INVALID', `the password for ${who} on stdin is empty`);
  if (/[\r\n]/.test(password))
    throw new SecretsAgentError('ERR_INPUT_INVALID', `the password for ${who} on stdin must be one line`);
  return password;
}

// Reads one line in raw mode without echoing it; Ctrl-C or Ctrl-D before Enter aborts.
function promptHidden(
  terminal: Readable & { setRawMode?: (raw: boolean) => unknown },
  io: CliIo,
  prompt: string,
): Promise<string> {
  io.stderr.write(prompt);
  terminal.setRawMode?.(true);
  terminal.resume();
  return new Promise((resolvePrompt, reject) => {
    let typed = '';
    const finish = (error?: SecretsAgentError): void => {
      terminal.off('data', onData);
      terminal.setRawMode?.(false);
      terminal.pause();
      io.stderr.write('\n');
      if (error === undefined) resolvePrompt(typed);
      else reject(error);
    };
    const onData = (chunk: Buffer | string): void => {
      const chars = [...chunk.toString()];
      for (const [index, char] of chars.entries()) {
        if (char === '\r' || char === '\n') {
          // Typed ahead (or pasted) past this line: leave it for the next prompt.
          const rest = chars
            .slice(index + 1)
            .join('')
            .replace(/^\n/, '');
          finish();
          if (rest !== '') terminal.unshift(Buffer.from(rest));
          return;
        }
        if (char === '\u0003' || char === '\u0004')
          return finish(new SecretsAgentError('ERR_USAGE', 'password prompt aborted'));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
        if (Buffer.byteLength(typed) > maxPasswordBytes)
          return finish(new SecretsAgentError('ERR_INPUT_INVALID', `password longer than ${maxPasswordBytes} bytes`));
      }
    };
    terminal.on('data', onData);
  });
}

// `--password-file -`: yargs reads a lone `-` as a positional and leaves the option empty; put it
// back. Commands that take it parse with `.strict(false).strictOptions()`, so any other stray
// positional after the `commandWords` command words is refused here instead.
export function passwordFileFlag(argv: Readonly<Record<string, unknown>>, commandWords: number): string | undefined {
  const value = argv['password-file'];
  const extra = Array.isArray(argv['_']) ? argv['_'].slice(commandWords).map(String) : [];
  const dash = value === '' && extra.includes('-');
  const stray = extra.filter((word) => !(dash && word === '-'));
  if (stray.length > 0)
    throw new SecretsAgentError('ERR_USAGE', `Unknown argument: ${stray.map((word) => word.slice(0, 80)).join(', ')}`);
  if (dash) return '-';
  return typeof value === 'string' && value !== '' ? value : undefined;
}
