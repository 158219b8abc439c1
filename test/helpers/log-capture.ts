import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/core/log.js';

// Every log line a test produced (in-process loggers and captured child stderr), for the canary check.
const capturedLines: string[] = [];

export function recordLogText(text: string): void {
  for (const line of text.split('\n')) if (line !== '') capturedLines.push(line);
}

export function capturedLogLines(): readonly string[] {
  return capturedLines;
}

// A real pino logger (same redaction as production) writing into the capture.
export function createTestLogger(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' = 'debug'): Logger {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      recordLogText(chunk.toString('utf8'));
      callback();
    },
  });
  return createLogger({ level, destination });
}
