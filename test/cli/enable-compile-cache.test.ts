// The compile cache directory must be ours alone: the cache holds code the CLI will execute.
import { chmod, mkdir, mkdtemp, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enableCompileCache, privateCacheDirectory } from '../../src/cli/enable-compile-cache.js';

describe('privateCacheDirectory', () => {
  it('creates the directory 0700 and accepts it again', async () => {
    const root = await mkdtemp(join(tmpdir(), 'compile-cache-'));
    const directory = join(root, 'cache');
    expect(privateCacheDirectory(directory)).toBe(directory);
    expect((await stat(directory)).mode & 0o777).toBe(0o700);
    expect(privateCacheDirectory(directory)).toBe(directory);
  });

  it('refuses a directory others may write, a symlink, a file, or one it cannot create', async () => {
    const root = await mkdtemp(join(tmpdir(), 'compile-cache-'));
    const open = join(root, 'open');
    await mkdir(open);
    await chmod(open, 0o777);
    expect(privateCacheDirectory(open)).toBeUndefined();
    const target = join(root, 'target');
    await mkdir(target, { mode: 0o700 });
    await symlink(target, join(root, 'link'));
    expect(privateCacheDirectory(join(root, 'link'))).toBeUndefined();
    expect(privateCacheDirectory(join(root, 'missing-parent', 'cache'))).toBeUndefined();
  });
});

describe('enableCompileCache', () => {
  it('leaves the choice to NODE_COMPILE_CACHE when it is set', () => {
    expect(() => enableCompileCache({ NODE_COMPILE_CACHE: '/nonexistent' })).not.toThrow();
  });
});
