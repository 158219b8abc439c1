import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GpgResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export interface GpgHome {
  readonly dir: string;
  /** Runs `gpg --batch ...` in this home; `input` goes to stdin. */
  gpg(args: readonly string[], input?: Uint8Array | string): Promise<GpgResult>;
  /** Generates an RSA key (sign primary + encrypt subkey) with gpg itself; returns its email. */
  generateRsaKey(name: string, bits?: number): Promise<string>;
  close(): Promise<void>;
}

// A throwaway GNUPGHOME with passphrase caching off (machine.md §3: a cached passphrase would make a
// wrong one "work"); close() stops its agent and removes it.
export async function createGpgHome(): Promise<GpgHome> {
  const dir = await mkdtemp(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'gnupg-'));
  await writeFile(join(dir, 'gpg-agent.conf'), 'default-cache-ttl 0\nmax-cache-ttl 0\n', { mode: 0o600 });
  const env = { ...process.env, GNUPGHOME: dir };
  const run = (command: string, args: readonly string[], input?: Uint8Array | string): Promise<GpgResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(command, [...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }),
      );
      child.stdin.end(input === undefined ? undefined : input);
    });
  return {
    dir,
    gpg: (args, input) => run('gpg', ['--batch', '--no-tty', ...args], input),
    async generateRsaKey(name, bits = 3072) {
      const email = `${name}@example.test`;
      const params = [
        '%no-protection',
        'Key-Type: RSA',
        `Key-Length: ${bits}`,
        'Key-Usage: sign',
        'Subkey-Type: RSA',
        `Subkey-Length: ${bits}`,
        'Subkey-Usage: encrypt',
        `Name-Real: ${name}`,
        `Name-Email: ${email}`,
        'Expire-Date: 0',
        '%commit',
        '',
      ].join('\n');
      const result = await run('gpg', ['--batch', '--no-tty', '--pinentry-mode', 'loopback', '--gen-key'], params);
      if (result.code !== 0) throw new Error(`gpg --gen-key failed: ${result.stderr}`);
      return email;
    },
    async close() {
      await run('gpgconf', ['--kill', 'gpg-agent']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
