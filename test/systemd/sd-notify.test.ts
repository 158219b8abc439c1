import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { isSecretsAgentError } from '../../src/core/errors.js';
import { notifySystemd, startSystemdWatchdog, watchdogIntervalMs } from '../../src/systemd/sd-notify.js';
import { canaryValue } from '../helpers/canary.js';
import { capturedLogLines, createTestLogger } from '../helpers/log-capture.js';

interface Datagram {
  readonly pid: number | null;
  readonly uid: number | null;
  readonly message: string;
}

interface Receiver {
  /** Resolves with every datagram once `expected` have arrived. */
  readonly datagrams: Promise<Datagram[]>;
  stop(): void;
}

const receiverScript = fileURLToPath(new URL('./fixtures/notify-receiver.py', import.meta.url));
const fakeNotify = fileURLToPath(new URL('./fixtures/fake-notify.py', import.meta.url));
const receivers: Receiver[] = [];

// A real AF_UNIX datagram socket with SO_PASSCRED, as systemd's own notify socket.
async function startReceiver(address: string, expected: number): Promise<Receiver> {
  const child = spawn('/usr/bin/python3', [receiverScript, address], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const lines = createInterface({ input: child.stdout });
  const received: Datagram[] = [];
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const datagrams = new Promise<Datagram[]>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line === 'ready') return markReady();
      received.push(JSON.parse(line) as Datagram);
      if (received.length === expected) resolve(received);
    });
    child.once('exit', (code) => {
      if (received.length < expected)
        reject(new Error(`receiver exited ${String(code)} after ${received.length} datagrams: ${stderr}`));
    });
  });
  datagrams.catch(() => undefined);
  await Promise.race([ready, datagrams.then(() => undefined)]);
  const receiver = { datagrams, stop: () => void child.kill('SIGKILL') };
  receivers.push(receiver);
  return receiver;
}

afterEach(() => {
  for (const receiver of receivers.splice(0)) receiver.stop();
});

describe('notifySystemd', () => {
  it("sends READY=1 to a path socket with the daemon's own pid as sender (NotifyAccess=main)", async () => {
    const socketPath = join(await mkdtemp(join(tmpdir(), 'sd-notify-')), 'notify');
    const receiver = await startReceiver(socketPath, 1);
    await expect(notifySystemd('READY=1', { env: { NOTIFY_SOCKET: socketPath } })).resolves.toBe(true);
    const [datagram] = await receiver.datagrams;
    expect(datagram?.message).toBe('READY=1');
    // systemd-notify fakes its parent's pid only with CAP_SYS_ADMIN: root here, as in the unit.
    if (process.getuid?.() === 0) expect(datagram?.pid).toBe(process.pid);
  });

  it('reaches an abstract socket (@name), as systemd user instances use', async () => {
    const address = `@secrets-agent-test/${randomUUID()}`;
    const receiver = await startReceiver(address, 1);
    await expect(
      notifySystemd({ STATUS: 'watching 3 tasks', READY: 1 }, { env: { NOTIFY_SOCKET: address } }),
    ).resolves.toBe(true);
    const [datagram] = await receiver.datagrams;
    expect(datagram?.message).toBe('STATUS=watching 3 tasks\nREADY=1');
  });

  it('delivers notifications in call order', async () => {
    const socketPath = join(await mkdtemp(join(tmpdir(), 'sd-notify-')), 'notify');
    const receiver = await startReceiver(socketPath, 4);
    const env = { NOTIFY_SOCKET: socketPath };
    const sends = ['READY=1', 'RELOADING=1', 'READY=1\nSTATUS=reloaded', 'STOPPING=1'].map((message) =>
      notifySystemd(message, { env }),
    );
    expect(await Promise.all(sends)).toEqual([true, true, true, true]);
    expect((await receiver.datagrams).map((datagram) => datagram.message)).toEqual([
      'READY=1',
      'RELOADING=1',
      'READY=1\nSTATUS=reloaded',
      'STOPPING=1',
    ]);
  });

  it('does nothing outside a Type=notify unit', async () => {
    await expect(notifySystemd('READY=1', { env: {} })).resolves.toBe(false);
    await expect(notifySystemd('READY=1', { env: { NOTIFY_SOCKET: '' } })).resolves.toBe(false);
  });

  it('logs and returns false when the socket is gone, without throwing', async () => {
    const socketPath = join(await mkdtemp(join(tmpdir(), 'sd-notify-')), 'nobody-listens');
    const before = capturedLogLines().length;
    await expect(
      notifySystemd('READY=1', { env: { NOTIFY_SOCKET: socketPath }, log: createTestLogger() }),
    ).resolves.toBe(false);
    const logged = capturedLogLines()
      .slice(before)
      .map((line) => JSON.parse(line) as { msg: string; variables: string[] });
    expect(logged).toEqual([expect.objectContaining({ msg: 'sd_notify failed', variables: ['READY'] })]);
  });

  it("gives the helper process the socket and PATH only, never the daemon's environment", async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'sd-notify-')), 'seen.json');
    const env = { NOTIFY_SOCKET: out, DB_PASSWORD: canaryValue };
    await expect(notifySystemd('READY=1', { env, command: fakeNotify })).resolves.toBe(true);
    const seen = JSON.parse(await readFile(out, 'utf8')) as { argv: string[]; env: Record<string, string> };
    expect(seen.argv).toEqual(['--', 'READY=1']);
    expect(
      Object.keys(seen.env)
        .filter((name) => name !== 'LC_CTYPE')
        .sort(),
    ).toEqual(['NOTIFY_SOCKET', 'PATH']);
    expect(JSON.stringify(seen)).not.toContain(canaryValue);
  });

  it('refuses malformed messages before sending anything', () => {
    const env = { NOTIFY_SOCKET: '/nonexistent' };
    for (const message of ['', 'ready', 'READY=1\0', 'lower=case']) {
      let caught: unknown;
      try {
        void notifySystemd(message, { env });
      } catch (error) {
        caught = error;
      }
      expect(isSecretsAgentError(caught, 'ERR_INTERNAL'), JSON.stringify(message)).toBe(true);
    }
  });
});

describe('systemd watchdog', () => {
  it('pings at half of WatchdogSec, only for the pid systemd named', () => {
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, 42)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42)).toBe(15_000);
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '43' }, 42)).toBeUndefined();
    expect(watchdogIntervalMs({}, 42)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: '0' }, 42)).toBeUndefined();
    expect(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 42)).toBeUndefined();
  });

  it('sends WATCHDOG=1 to the notify socket when configured', async () => {
    const socketPath = join(await mkdtemp(join(tmpdir(), 'sd-notify-')), 'notify');
    const receiver = await startReceiver(socketPath, 2);
    const watchdog = startSystemdWatchdog({
      env: { NOTIFY_SOCKET: socketPath, WATCHDOG_USEC: '100000', WATCHDOG_PID: String(process.pid) },
    });
    try {
      expect(watchdog.intervalMs).toBe(50);
      expect((await receiver.datagrams).map((datagram) => datagram.message)).toEqual(['WATCHDOG=1', 'WATCHDOG=1']);
    } finally {
      watchdog.close();
    }
  });

  it('is inert without WATCHDOG_USEC', () => {
    const watchdog = startSystemdWatchdog({ env: { NOTIFY_SOCKET: '/nonexistent' } });
    expect(watchdog.intervalMs).toBeUndefined();
    watchdog.close();
  });
});
