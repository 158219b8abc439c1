import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyDirectory } from '../../src/deliver/remove-tree.js';
import { shmScratch } from './support/scratch.js';

describe('emptyDirectory', () => {
  it('removes nested files and directories but never follows a symlink out of the tree', async () => {
    const dir = shmScratch();
    const outside = shmScratch();
    writeFileSync(join(outside, 'keep'), 'x');
    mkdirSync(join(dir, 'a/b/c'), { recursive: true });
    writeFileSync(join(dir, 'a/b/c/secret'), 'x');
    writeFileSync(join(dir, 'top'), 'x');
    symlinkSync(outside, join(dir, 'a/link-to-dir'));
    symlinkSync(join(outside, 'keep'), join(dir, 'link-to-file'));
    await emptyDirectory(dir);
    expect(readdirSync(dir)).toEqual([]);
    expect(readdirSync(outside)).toEqual(['keep']);
  });

  it('accepts a missing directory and refuses to start at a symlink', async () => {
    const dir = shmScratch();
    await emptyDirectory(join(dir, 'missing'));
    const outside = shmScratch();
    writeFileSync(join(outside, 'keep'), 'x');
    symlinkSync(outside, join(dir, 'link'));
    await expect(emptyDirectory(join(dir, 'link'))).rejects.toMatchObject({
      code: expect.stringMatching(/^(ELOOP|ENOTDIR)$/),
    });
    expect(existsSync(join(outside, 'keep'))).toBe(true);
  });
});
