import { describe, expect, it } from 'vitest';
import { formatJsonPointer } from '../../src/appdef/index.js';

describe('formatJsonPointer', () => {
  it('escapes ~ before / (RFC 6901), and keeps empty tokens', () => {
    expect(formatJsonPointer(['env', 'a/b~c', 'secret'])).toBe('/env/a~1b~0c/secret');
    expect(formatJsonPointer(['x', '~1'])).toBe('/x/~01');
    expect(formatJsonPointer(['secrets', ''])).toBe('/secrets/');
    expect(formatJsonPointer(['container', 'volumes', 2])).toBe('/container/volumes/2');
    expect(formatJsonPointer([])).toBe('');
  });
});
