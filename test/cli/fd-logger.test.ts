// The pino-free logger of `run` writes the lines core/log.ts's pino logger writes (time aside).
import { Writable } from 'node:stream';
import type { DestinationStream } from 'pino';
import { describe, expect, it } from 'vitest';
import { createFdLogger } from '../../src/cli/fd-logger.js';
import { SecretsAgentError } from '../../src/core/errors.js';
import { createLogger, type Logger } from '../../src/core/log.js';

function withoutTime(line: string): unknown {
  const parsed = JSON.parse(line) as Record<string, unknown>;
  expect(parsed['time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  delete parsed['time'];
  return parsed;
}

function bothLoggers(level: 'debug' | 'warn'): { pinoLines: string[]; fdLines: string[]; loggers: Logger[] } {
  const pinoLines: string[] = [];
  const fdLines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      pinoLines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((line) => line !== ''),
      );
      callback();
    },
  });
  const pino = createLogger({ level, name: 'secrets-agent', destination: destination as unknown as DestinationStream });
  const fd = createFdLogger({
    level,
    name: 'secrets-agent',
    write: (line) => fdLines.push(...line.split('\n').filter((part) => part !== '')),
  });
  return { pinoLines, fdLines, loggers: [pino, fd] };
}

describe('createFdLogger', () => {
  it('writes the lines pino writes: levels, fields, errors with causes, redaction at three depths', async () => {
    const { pinoLines, fdLines, loggers } = bothLoggers('debug');
    const cause = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const error = new SecretsAgentError(
      'ERR_STORE_UNREACHABLE',
      'GET http://x/secrets/v1/secret/default/a: cannot reach the server (ECONNRESET)',
      { details: { networkCode: 'ECONNRESET' }, cause },
    );
    for (const log of loggers) {
      log.debug({ secretPath: 'team/db', type: 'text', bytes: 12 }, 'secret fetched');
      log.info(
        { command: '/bin/true', path: '/bin/true', argCount: 0 },
        'replacing the agent with the workload (exec)',
      );
      log.warn({ secretPath: 'team/db', attempt: 2, delayMs: 150, err: error }, 'secret fetch failed; retrying');
      log.error(
        {
          value: 'v',
          nested: { token: 't', deeper: { password: 'p', deepest: { key: 'k' } } },
          list: [{ secret: 's' }],
        },
        'redaction',
      );
      log.warn({ fds: [1, 2] }, 'stdio is in non-blocking mode');
      log.info('message only');
    }
    // pino's destination is asynchronous in tests; give it a turn.
    await new Promise((resolve) => setImmediate(resolve));
    expect(fdLines).toHaveLength(6);
    expect(fdLines.map(withoutTime)).toEqual(pinoLines.map(withoutTime));
  });

  it('drops lines below its level and follows a changed level', () => {
    const lines: string[] = [];
    const log = createFdLogger({ level: 'warn', write: (line) => lines.push(line) });
    log.info({ a: 1 }, 'dropped');
    log.warn({ a: 2 }, 'kept');
    expect(log.isLevelEnabled('info')).toBe(false);
    log.level = 'info';
    log.info({ a: 3 }, 'kept too');
    log.level = 'silent';
    log.error({ a: 4 }, 'dropped too');
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['kept', 'kept too']);
  });

  it('writes whole lines to a file descriptor synchronously', async () => {
    const { mkdtemp, readFile, open } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'fd-logger-'));
    const handle = await open(join(dir, 'log'), 'w');
    const log = createFdLogger({ level: 'info', name: 'secrets-agent', fd: handle.fd });
    log.child({ task: 'web' }).info({ n: 1 }, 'to the file');
    expect(JSON.parse(await readFile(join(dir, 'log'), 'utf8'))).toMatchObject({
      level: 30,
      name: 'secrets-agent',
      task: 'web',
      n: 1,
      msg: 'to the file',
      pid: process.pid,
    });
    await handle.close();
  });
});
