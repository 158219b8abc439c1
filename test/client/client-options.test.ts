import { describe, expect, it } from 'vitest';
import { assertOptionalPositiveInteger, joinUrl, parseBaseUrl } from '../../src/client/client-options.js';

describe('parseBaseUrl', () => {
  it('accepts http(s) URLs and drops a trailing slash, keeping a path prefix', () => {
    expect(parseBaseUrl('https://master.mesos/').href).toBe('https://master.mesos/');
    expect(parseBaseUrl('https://proxy.example/dcos/').pathname).toBe('/dcos');
  });

  it.each([
    ['', /http\(s\) URL/],
    ['master.mesos', /http\(s\) URL/],
    ['ftp://master.mesos', /scheme `ftp:`/],
    ['https://user:pw@master.mesos', /without user:password/],
    ['https://master.mesos/?x=1', /without a query/],
  ])('refuses %j', (url, message) => {
    expect(() => parseBaseUrl(url)).toThrow(message);
  });

  it('does not print a password given in the URL', () => {
    let message = '';
    try {
      parseBaseUrl('https://user:hunter2@master.mesos');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('without user:password');
    expect(message).not.toContain('hunter2');
  });
});

describe('joinUrl', () => {
  it('appends an encoded path and query under the prefix', () => {
    expect(joinUrl(parseBaseUrl('https://h/p'), '/secrets/v1/secret/default/a%2Fb', '?list=true').href).toBe(
      'https://h/p/secrets/v1/secret/default/a%2Fb?list=true',
    );
  });
});

describe('assertOptionalPositiveInteger', () => {
  it('uses the house message shape', () => {
    expect(() => assertOptionalPositiveInteger(-1, 'timeoutMs')).toThrow(
      'Expected `timeoutMs` to be a positive integer, got `-1` (number)',
    );
    expect(() => assertOptionalPositiveInteger('5', 'timeoutMs')).toThrow(
      'Expected `timeoutMs` to be a positive integer, got `"5"` (string)',
    );
    expect(() => assertOptionalPositiveInteger(undefined, 'timeoutMs')).not.toThrow();
  });
});
