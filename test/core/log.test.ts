import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/core/log.js';
import { canaryValue } from '../helpers/canary.js';

function captureLogger(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { lines, log: createLogger({ destination, level: 'debug' }) };
}

describe('logger redaction', () => {
  it('redacts values, tokens, passwords and private keys at any of three depths', () => {
    const { lines, log } = captureLogger();
    log.info({ value: canaryValue }, 'top');
    log.info({ secret: { value: canaryValue } }, 'nested');
    log.info({ req: { headers: { authorization: `token=${canaryValue}` } } }, 'deep');
    log.info({ login: { password: canaryValue, token: canaryValue, private_key: canaryValue } }, 'creds');
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      expect(line).not.toContain(canaryValue);
      expect(line).toContain('[Redacted]');
    }
  });

  it('logs errors by type, code and message, following causes', () => {
    const { lines, log } = captureLogger();
    const error = Object.assign(new Error('outer'), { code: 'ERR_X', cause: new Error('inner') });
    log.error({ err: error }, 'failed');
    const record = JSON.parse(lines[0] ?? '{}') as { err: { message: string; cause: { message: string } } };
    expect(record.err.message).toBe('outer');
    expect(record.err.cause.message).toBe('inner');
  });
});
