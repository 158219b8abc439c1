import { describe, expect, it } from 'vitest';
import { confinePath, parseBasePath } from '../../src/client/base-path.js';
import { isSecretsAgentError } from '../../src/core/errors.js';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isSecretsAgentError(error)) return error.code;
    throw error;
  }
  return 'ok';
}

describe('confinePath', () => {
  it('joins paths under the base', () => {
    expect(confinePath('portworx', 'cluster/key')).toBe('portworx/cluster/key');
    expect(confinePath('a/b', 'c')).toBe('a/b/c');
  });

  it('lists the base itself for "" or "/" and strips one trailing slash', () => {
    expect(confinePath('portworx', '', { listing: true })).toBe('portworx');
    expect(confinePath('portworx', '/', { listing: true })).toBe('portworx');
    expect(confinePath('portworx', 'folder/', { listing: true })).toBe('portworx/folder');
  });

  it.each([
    ['..', 'segment 1 `..` would leave the base path'],
    ['../other', 'segment 1 `..` would leave the base path'],
    ['a/../../b', 'segment 2 `..` would leave the base path'],
    ['./a', 'segment 1 `.` would leave the base path'],
    ['/etc/passwd', 'it is absolute'],
    ['..%2Fother', 'it contains `%`'],
    ['%2e%2e/x', 'it contains `%`'],
    ['a%252Fb', 'it contains `%`'],
    ['a\\..\\b', 'it contains a backslash'],
    ['a//b', 'segment 2 is empty'],
    ['a\u0000b', 'control character'],
    ['', 'it is empty'],
  ])('refuses %j with ERR_SECRET_PATH_INVALID', (path, reason) => {
    let message = '';
    try {
      confinePath('portworx', path);
    } catch (error) {
      if (isSecretsAgentError(error, 'ERR_SECRET_PATH_INVALID')) message = error.message;
    }
    expect(message).toContain(reason);
  });

  it('without a base, passes paths through for the HTTP layer to check', () => {
    expect(confinePath('', 'a/b')).toBe('a/b');
    expect(codeOf(() => confinePath('', 7))).toBe('ERR_SECRET_PATH_INVALID');
  });
});

describe('parseBasePath', () => {
  it('normalizes one trailing slash and refuses escapes in the base itself', () => {
    expect(parseBasePath(undefined)).toBe('');
    expect(parseBasePath('portworx/')).toBe('portworx');
    expect(codeOf(() => parseBasePath('/abs'))).toBe('ERR_SECRET_PATH_INVALID');
    expect(codeOf(() => parseBasePath('a/../b'))).toBe('ERR_SECRET_PATH_INVALID');
    expect(codeOf(() => parseBasePath(3))).toBe('ERR_USAGE');
  });
});
