// The logger of `run`: the same JSON lines as core/log.ts's pino logger (level number, ISO time,
// pid, name, the fields, msg; the same keys redacted; errors as type, code, message, details and
// cause), written synchronously to a file descriptor. Not pino, for two reasons: pino loads
// sonic-boom, which loads node:assert, which creates process.stderr, and on a pipe that makes fd 2
// non-blocking for the workload `run` execs; and its ~35 modules are start-up time the workload
// waits for. The lines must not drift from pino's: test/cli/fd-logger.test.ts compares them.
import { writeSync } from 'node:fs';
import type { Logger } from '../core/log.js';
import { redactedKeys } from '../core/redacted-keys.js';
import { serializeError } from '../core/serialize-error.js';

const levelValues = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;
export type FdLoggerLevel = keyof typeof levelValues;

const redacted = new Set<string>(redactedKeys);
/** pino redacts `key`, `*.key` and `*.*.key`: the top level and two levels below it. */
const redactDepth = 3;
const writeAttempts = 100;

export interface FdLoggerOptions {
  readonly level: FdLoggerLevel;
  readonly name?: string;
  /** Default 2. */
  readonly fd?: number;
  /** Replaces the write to `fd` (tests). */
  readonly write?: (line: string) => void;
}

type LogMethod = (objectOrMessage?: unknown, message?: string) => void;

// Creates the logger. It implements what this project calls on a Logger (the level methods,
// isLevelEnabled, child, level); the rest of pino's interface is not there.
export function createFdLogger(options: FdLoggerOptions): Logger {
  const write = options.write ?? ((line: string) => writeLine(options.fd ?? 2, line));
  return buildLogger(
    options.level,
    { pid: process.pid, ...(options.name === undefined ? {} : { name: options.name }) },
    write,
  );
}

function buildLogger(
  initialLevel: FdLoggerLevel,
  bindings: Readonly<Record<string, unknown>>,
  write: (line: string) => void,
): Logger {
  let level: FdLoggerLevel = initialLevel;
  const method =
    (name: Exclude<FdLoggerLevel, 'silent'>): LogMethod =>
    (objectOrMessage, message) => {
      if (levelValues[name] < levelValues[level]) return;
      const fields =
        typeof objectOrMessage === 'object' && objectOrMessage !== null
          ? (objectOrMessage as Record<string, unknown>)
          : {};
      const msg = typeof objectOrMessage === 'string' ? objectOrMessage : message;
      write(`${formatLine(levelValues[name], bindings, fields, msg)}\n`);
    };
  const logger = {
    trace: method('trace'),
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    fatal: method('fatal'),
    silent: (): void => undefined,
    get level(): string {
      return level;
    },
    set level(value: string) {
      if (Object.hasOwn(levelValues, value)) level = value as FdLoggerLevel;
    },
    isLevelEnabled: (name: string): boolean =>
      Object.hasOwn(levelValues, name) && levelValues[name as FdLoggerLevel] >= levelValues[level],
    child: (more: Record<string, unknown>): Logger => buildLogger(level, { ...bindings, ...more }, write),
    flush: (): void => undefined,
  };
  return logger as unknown as Logger;
}

function formatLine(
  levelValue: number,
  bindings: Readonly<Record<string, unknown>>,
  fields: Record<string, unknown>,
  msg: string | undefined,
): string {
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) own[key] = key === 'err' ? serializeError(value) : value;
  const line = {
    level: levelValue,
    time: new Date().toISOString(),
    ...redact(bindings, 1),
    ...redact(own, 1),
    ...(msg === undefined ? {} : { msg }),
  };
  return stringifySafe(line);
}

// Copies `value` with every redacted key replaced, down to pino's depth.
function redact(value: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = Array.isArray(value) ? ([] as unknown as Record<string, unknown>) : {};
  for (const [key, inner] of Object.entries(value)) {
    if (redacted.has(key)) out[key] = '[Redacted]';
    else if (depth < redactDepth && typeof inner === 'object' && inner !== null && !(inner instanceof Error))
      out[key] = redact(inner as Record<string, unknown>, depth + 1);
    else out[key] = inner;
  }
  return out;
}

// JSON that survives cycles and BigInt, as pino's stringifier does ('[Circular]' for a value that
// contains itself; an object merely used twice is written twice).
function stringifySafe(value: unknown): string {
  return JSON.stringify(toJsonSafe(value, new Set()));
}

function toJsonSafe(value: unknown, ancestors: Set<object>): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.has(value)) return '[Circular]';
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
    return (value as { toJSON: () => unknown }).toJSON();
  ancestors.add(value);
  const out = Array.isArray(value)
    ? value.map((inner: unknown) => toJsonSafe(inner, ancestors))
    : Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, toJsonSafe(inner, ancestors)]));
  ancestors.delete(value);
  return out;
}

// A whole line or nothing: retries a non-blocking fd that is full, and drops the line when the
// fd is closed (a log line must never end the agent).
function writeLine(fd: number, line: string): void {
  const bytes = Buffer.from(line, 'utf8');
  let offset = 0;
  for (let attempt = 0; offset < bytes.length && attempt < writeAttempts; attempt += 1) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}
