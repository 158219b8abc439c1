import { describe, expect, it } from 'vitest';
import { parseRelativePath } from '../../src/deliver/relative-path.js';

describe('parseRelativePath', () => {
  it('normalises `.` and repeated slashes', () => {
    expect(parseRelativePath('./secrets//db/./password')).toEqual(['secrets', 'db', 'password']);
  });

  it('refuses absolute paths, `..`, NUL and empty paths, naming the option', () => {
    expect(() => parseRelativePath('/etc/passwd', 'volumes/0/containerPath')).toThrow(
      'Expected `volumes/0/containerPath` to be relative, got `"/etc/passwd"` (string)',
    );
    expect(() => parseRelativePath('a/../../b')).toThrow('to stay inside its directory');
    expect(() => parseRelativePath('a\0b')).toThrow(expect.objectContaining({ code: 'ERR_INPUT_INVALID' }));
    expect(() => parseRelativePath('./')).toThrow('to name a file');
    expect(() => parseRelativePath(42)).toThrow('got `42` (number)');
  });
});
