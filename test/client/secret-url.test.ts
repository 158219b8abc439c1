import { describe, expect, it } from 'vitest';
import { encodeSecretPath } from '../../src/client/secret-url.js';

describe('encodeSecretPath', () => {
  it('encodes segment by segment, keeping `/` as the separator', () => {
    expect(encodeSecretPath('developer/my-secret')).toBe('developer/my-secret');
    expect(encodeSecretPath('a b/c?d#e')).toBe('a%20b/c%3Fd%23e');
    // A literal `%2F` stays literal: it cannot turn into a separator on the server.
    expect(encodeSecretPath('a%2Fb')).toBe('a%252Fb');
  });

  it('allows the root and one trailing slash for listings', () => {
    expect(encodeSecretPath('', { listing: true })).toBe('');
    expect(encodeSecretPath('folder/', { listing: true })).toBe('folder');
  });

  it.each([
    ['', 'the path is empty'],
    ['/leading', 'it starts with `/`'],
    ['a//b', 'segment 2 is empty'],
    ['a/', 'segment 2 is empty'],
    ['a/./b', 'segment 2 `.` is not allowed'],
    ['a/..', 'segment 2 `..` is not allowed'],
  ])('refuses %j', (path, reason) => {
    expect(() => encodeSecretPath(path)).toThrow(reason);
  });

  it('refuses a non-string', () => {
    expect(() => encodeSecretPath(5)).toThrow(/not a string/);
  });
});
