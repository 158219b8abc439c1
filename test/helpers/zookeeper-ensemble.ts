// A real ZooKeeper ensemble (1 or 3 JVMs on loopback) for storage tests.
// ZooKeeper 3.8 comes from Debian (`apt-get install -y --no-install-recommends zookeeper`, done by
// scripts/setup.sh); every member is `java ... QuorumPeerMain zoo.cfg`, spawned directly so that
// `pid` is java's own PID and stop() can wait for exactly that process.
import { setTimeout as delay } from 'node:timers/promises';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordLogText } from './log-capture.js';

const javaDir = '/usr/share/java';
const zookeeperJar = join(javaDir, 'zookeeper.jar');

// 4 MiB: a stored value may reach 1 MiB + 64 KiB (backend.ts `maxValueBytes`) plus our record header
// and the request framing, above ZooKeeper's default `jute.maxbuffer` of 1 MiB - 1 byte. Servers read
// it as a system property (every request and every quorum packet is checked against it); the backend
// gets the same number as `juteMaxBufferBytes` so it refuses oversized writes instead of having the
// server drop the connection.
export const testJuteMaxBufferBytes = 4 * 1024 * 1024;

export interface ZooKeeperEnsembleOptions {
  members: 1 | 3;
  jvmHeapMb?: number;
  juteMaxBufferBytes?: number;
}

export type ZooKeeperMode = 'standalone' | 'leader' | 'follower';

export interface ZooKeeperMember {
  readonly id: number;
  readonly clientPort: number;
  /** PID of the running java process; undefined while stopped. */
  readonly pid: number | undefined;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the JVM has exited. */
  stop(): Promise<void>;
  /** Sends `signal`; for terminating signals resolves once the JVM has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the JVM again with the same config and data; resolves when it answers `ruok`. */
  start(): Promise<void>;
  /** The mode `srvr` reports, or undefined when the member does not serve requests. */
  mode(): Promise<ZooKeeperMode | undefined>;
}

export interface ZooKeeperEnsemble {
  /** `127.0.0.1:p1,127.0.0.1:p2,...` */
  readonly connectionString: string;
  readonly members: readonly ZooKeeperMember[];
  readonly juteMaxBufferBytes: number;
  readonly dir: string;
  /** Resolves when every running member serves requests (leader/follower/standalone). */
  waitServing(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

// Starts a fresh ensemble in a temp dir and waits until it serves requests.
export async function startZooKeeperEnsemble(options: ZooKeeperEnsembleOptions): Promise<ZooKeeperEnsemble> {
  const slf4jBinding = ensureZooKeeperInstalled();
  const count = options.members;
  const heapMb = options.jvmHeapMb ?? 256;
  const juteMaxBufferBytes = options.juteMaxBufferBytes ?? testJuteMaxBufferBytes;
  const root = mkdtempSync(join(process.env['SECRETS_AGENT_TEST_ROOT'] ?? tmpdir(), 'zk-'));
  const ports = await pickFreePorts(count * 3);
  const specs = Array.from({ length: count }, (_, index) => ({
    id: index + 1,
    clientPort: ports[index * 3] as number,
    quorumPort: ports[index * 3 + 1] as number,
    electionPort: ports[index * 3 + 2] as number,
  }));

  const members = specs.map((spec) => {
    const dir = join(root, `n${spec.id}`);
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'myid'), `${spec.id}\n`);
    const lines = [
      // tickTime 500 ms: elections settle in ~1 s; minimum session timeout is 2 ticks (1 s).
      'tickTime=500',
      'initLimit=10',
      'syncLimit=5',
      `dataDir=${dataDir}`,
      `clientPort=${spec.clientPort}`,
      'clientPortAddress=127.0.0.1',
      'admin.enableServer=false',
      '4lw.commands.whitelist=ruok,srvr,stat,mntr,conf',
      'maxSessionTimeout=60000',
      // Test data is throwaway: skip the fsync per transaction (the 2-core CI box has slow disks).
      'forceSync=no',
      ...(count === 1
        ? []
        : specs.map((peer) => `server.${peer.id}=127.0.0.1:${peer.quorumPort}:${peer.electionPort}`)),
    ];
    writeFileSync(join(dir, 'zoo.cfg'), `${lines.join('\n')}\n`);
    const args = [
      `-Xmx${heapMb}m`,
      `-Djute.maxbuffer=${juteMaxBufferBytes}`,
      '-XX:+UseSerialGC',
      '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
      '-Dzookeeper.preAllocSize=4096',
      '-cp',
      slf4jBinding === undefined ? zookeeperJar : `${zookeeperJar}:${slf4jBinding}`,
      'org.apache.zookeeper.server.quorum.QuorumPeerMain',
      join(dir, 'zoo.cfg'),
    ];
    return createMember(spec.id, spec.clientPort, dir, args);
  });

  const ensemble: ZooKeeperEnsemble = {
    connectionString: specs.map((spec) => `127.0.0.1:${spec.clientPort}`).join(','),
    members,
    juteMaxBufferBytes,
    dir: root,
    async waitServing(timeoutMs = 30_000) {
      await Promise.all(
        members.filter((member) => member.pid !== undefined).map((member) => waitMode(member, timeoutMs)),
      );
    },
    async stop() {
      await Promise.all(members.map((member) => member.stop()));
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(members.map((member) => member.start()));
    await ensemble.waitServing();
  } catch (error) {
    await Promise.allSettled(members.map((member) => member.stop()));
    throw error;
  }
  return ensemble;
}

// Installs ZooKeeper from Debian when its jar is missing (as scripts/setup.sh does; root only), and
// returns the slf4j binding to put on the classpath, or undefined when none is installed
// (ZooKeeper then logs nothing, which is fine).
function ensureZooKeeperInstalled(): string | undefined {
  if (!existsSync(zookeeperJar)) {
    const hint = `${zookeeperJar} is missing: run \`apt-get install -y --no-install-recommends zookeeper\` (scripts/setup.sh does)`;
    if (process.getuid?.() !== 0) throw new Error(hint);
    // Test files run in parallel: wait for dpkg's lock instead of failing on it.
    const apt = (args: string[]): void => {
      const result = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        encoding: 'utf8',
        timeout: 600_000,
      });
      if (result.status !== 0)
        throw new Error(`${hint}\napt-get ${args.join(' ')} failed: ${result.stderr ?? result.error?.message ?? ''}`);
    };
    apt(['update', '-qq']);
    apt(['install', '-y', '-qq', '--no-install-recommends', 'zookeeper']);
  }
  const simple = join(javaDir, 'slf4j-simple.jar');
  if (existsSync(simple)) return simple;
  const candidates = readdirSync(javaDir)
    .filter((name) => /^slf4j-(simple|jdk14|nop)(-[\d.]+)?\.jar$/.test(name))
    .sort();
  return candidates.length === 0 ? undefined : join(javaDir, candidates[0] as string);
}

// All children still running when the test process ends are killed, so no JVM outlives a crashed run.
const runningChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of runningChildren) child.kill('SIGKILL');
});

function createMember(id: number, clientPort: number, dir: string, args: string[]): ZooKeeperMember {
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const logPath = join(dir, 'zookeeper.log');

  const waitExit = async (graceMs: number): Promise<void> => {
    const current = child;
    if (current === undefined) return;
    const timer = setTimeout(() => current.kill('SIGKILL'), graceMs);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  const member: ZooKeeperMember = {
    id,
    clientPort,
    get pid() {
      return child?.pid;
    },
    async start() {
      if (child !== undefined) throw new Error(`ZooKeeper member ${id} is already running (pid ${child.pid})`);
      const logFd = openSync(logPath, 'a');
      const spawned = spawn('java', args, { cwd: dir, stdio: ['ignore', logFd, logFd] });
      closeSync(logFd);
      child = spawned;
      runningChildren.add(spawned);
      exited = new Promise((resolve) => {
        spawned.once('exit', () => {
          runningChildren.delete(spawned);
          if (child === spawned) child = undefined;
          recordLogText(readLogTail(logPath));
          resolve();
        });
      });
      const spawnError = new Promise<never>((_, reject) => spawned.once('error', reject));
      await Promise.race([waitRuok(clientPort, () => child !== spawned, logPath), spawnError]);
    },
    async stop() {
      if (child === undefined) return;
      child.kill('SIGTERM');
      await waitExit(5_000);
    },
    async kill(signal = 'SIGKILL') {
      if (child === undefined) return;
      child.kill(signal);
      if (signal === 'SIGSTOP' || signal === 'SIGCONT') return;
      await waitExit(5_000);
    },
    async mode() {
      if (child === undefined) return undefined;
      const answer = await sendFourLetterWord(clientPort, 'srvr', 1_000).catch(() => '');
      const match = /^Mode: (standalone|leader|follower)$/m.exec(answer);
      return match === null ? undefined : (match[1] as ZooKeeperMode);
    },
  };
  return member;
}

async function waitRuok(port: number, gone: () => boolean, logPath: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone()) throw new Error(`ZooKeeper on port ${port} exited during start-up:\n${readLogTail(logPath)}`);
    // A short per-probe timeout: the socket can be accepted before the server serves (machine.md §1).
    const answer = await sendFourLetterWord(port, 'ruok', 500).catch(() => '');
    if (answer === 'imok') return;
    if (Date.now() > deadline) throw new Error(`ZooKeeper on port ${port} did not answer ruok within ${timeoutMs} ms`);
    await delay(50);
  }
}

async function waitMode(member: ZooKeeperMember, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await member.mode()) === undefined) {
    if (Date.now() > deadline)
      throw new Error(`ZooKeeper member ${member.id} does not serve requests after ${timeoutMs} ms`);
    await delay(50);
  }
}

// Sends a four-letter word (ruok, srvr, ...) and returns the whole answer.
export function sendFourLetterWord(port: number, word: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`${word} on port ${port} timed out`)));
    socket.once('connect', () => socket.end(word));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

// Binds `count` listeners on 127.0.0.1:0 at once (so the ports are distinct), reads them, closes them.
async function pickFreePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function readLogTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '';
  }
}
