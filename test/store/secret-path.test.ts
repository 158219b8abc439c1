import { describe, expect, it } from 'vitest';
import { isSecretsAgentError } from '../../src/core/errors.js';
import { maxSecretPathBytes, parseSecretPath, parseSecretPathParam } from '../../src/store/secret-path.js';

function pathError(run: () => unknown): Error & { details?: Record<string, unknown> } {
  try {
    run();
  } catch (error) {
    expect(isSecretsAgentError(error, 'ERR_SECRET_PATH_INVALID')).toBe(true);
    return error as Error & { details?: Record<string, unknown> };
  }
  throw new Error('expected ERR_SECRET_PATH_INVALID');
}

describe('parseSecretPath', () => {
  it('accepts segments of [A-Za-z0-9._-]', () => {
    expect(parseSecretPath('developer/my-secret')).toBe('developer/my-secret');
    expect(parseSecretPath('a.b_c-D9/x')).toBe('a.b_c-D9/x');
    expect(parseSecretPath('...')).toBe('...');
  });

  it('names the offending segment', () => {
    expect(pathError(() => parseSecretPath('a/../b')).message).toBe(
      'Secret path `a/../b` is invalid: segment 2 `..` is not allowed',
    );
    expect(pathError(() => parseSecretPath('a/./b')).message).toContain('segment 2 `.` is not allowed');
    expect(pathError(() => parseSecretPath('/a')).message).toContain('segment 1 `` is empty');
    expect(pathError(() => parseSecretPath('a//b')).message).toContain('segment 2 `` is empty');
    expect(pathError(() => parseSecretPath('a/b/')).message).toContain('segment 3 `` is empty');
    const spaced = pathError(() => parseSecretPath('ok/has space'));
    expect(spaced.message).toContain('segment 2 `has space` has characters outside [A-Za-z0-9._-]');
    expect(spaced.details?.['segment']).toBe('has space');
    expect(pathError(() => parseSecretPath('ünï')).message).toContain('has characters outside');
    expect(pathError(() => parseSecretPath('')).message).toContain('the path is empty');
  });

  it('limits depth to 64 segments and length to 1024 bytes', () => {
    expect(parseSecretPath(Array.from({ length: 64 }, () => 'a').join('/'))).toHaveLength(127);
    expect(pathError(() => parseSecretPath(Array.from({ length: 65 }, () => 'a').join('/'))).message).toContain(
      '65 segments, more than 64',
    );
    expect(parseSecretPath('x'.repeat(maxSecretPathBytes))).toHaveLength(1024);
    expect(pathError(() => parseSecretPath('x'.repeat(maxSecretPathBytes + 1))).message).toContain(
      '1025 bytes, more than 1024',
    );
  });

  it('allows the root and one trailing slash only when listing', () => {
    expect(parseSecretPath('', { allowRoot: true })).toBe('');
    expect(parseSecretPath('folder/', { allowRoot: true, allowTrailingSlash: true })).toBe('folder');
    pathError(() => parseSecretPath('folder//', { allowRoot: true, allowTrailingSlash: true }));
    pathError(() => parseSecretPath('/', { allowRoot: true, allowTrailingSlash: true }));
  });
});

describe('parseSecretPathParam', () => {
  it('decodes %2F (terraform) and other escapes', () => {
    expect(parseSecretPathParam('foo%2Fbar')).toBe('foo/bar');
    expect(parseSecretPathParam('foo%2fbar/baz')).toBe('foo/bar/baz');
    expect(parseSecretPathParam('a%2D1')).toBe('a-1');
  });

  it('checks the decoded path', () => {
    expect(pathError(() => parseSecretPathParam('a%2F..%2Fb')).message).toContain('segment 2 `..` is not allowed');
    expect(pathError(() => parseSecretPathParam('a%00b')).message).toContain('has characters outside');
    expect(pathError(() => parseSecretPathParam('%E0%A4%A')).message).toContain('malformed percent-escape');
  });
});
