import { describe, expect, it } from 'vitest';
import { errorCodes, isSecretsAgentError, SecretsAgentError, toSecretsAgentError } from '../../src/core/errors.js';

describe('error codes', () => {
  it('every code follows ERR_AREA_REASON and maps to a sysexits-style exit code and an HTTP status', () => {
    for (const [code, info] of Object.entries(errorCodes)) {
      expect(code).toMatch(/^ERR_[A-Z]+(_[A-Z]+)*$/);
      expect([64, 65, 66, 69, 70, 73, 75, 77, 78, 126, 127]).toContain(info.exitCode);
      expect(info.httpStatus).toBeGreaterThanOrEqual(400);
      expect(info.httpStatus).toBeLessThan(600);
    }
  });

  it('carries code, exit code, status and cause', () => {
    const cause = new Error('low level');
    const error = new SecretsAgentError('ERR_SECRET_NOT_FOUND', 'Secret `a/b` does not exist', {
      cause,
      details: { path: 'a/b' },
    });
    expect(error.name).toBe('SecretsAgentError');
    expect(error.exitCode).toBe(66);
    expect(error.httpStatus).toBe(404);
    expect(error.cause).toBe(cause);
    expect(isSecretsAgentError(error, 'ERR_SECRET_NOT_FOUND')).toBe(true);
    expect(isSecretsAgentError(error, 'ERR_FORBIDDEN')).toBe(false);
  });

  it('wraps foreign errors as ERR_INTERNAL and keeps ours', () => {
    const ours = new SecretsAgentError('ERR_FORBIDDEN', 'no');
    expect(toSecretsAgentError(ours)).toBe(ours);
    const wrapped = toSecretsAgentError(new TypeError('x'));
    expect(wrapped.code).toBe('ERR_INTERNAL');
    expect(wrapped.exitCode).toBe(70);
  });

  it('recognises the type across module copies by name and code', () => {
    expect(isSecretsAgentError({ name: 'SecretsAgentError', code: 'ERR_STORE_SEALED' })).toBe(true);
    expect(isSecretsAgentError({ name: 'SecretsAgentError', code: 'ERR_NOPE' })).toBe(false);
    expect(isSecretsAgentError(null)).toBe(false);
  });
});
