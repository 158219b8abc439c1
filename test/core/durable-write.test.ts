// The one durable write (issue 15.6): replace and create-only, modes, symlinks, and no temp file left.
import { mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempFilePrefix, writeFileDurably } from '../../src/core/durable-write.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'durable-write-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tempNames = async (): Promise<string[]> => (await readdir(dir)).filter((name) => name.startsWith(tempFilePrefix));

describe('writeFileDurably', () => {
  it('replaces a file with the new content and the requested mode, leaving no temp file', async () => {
    await writeFile(join(dir, 'f'), 'old');
    await writeFileDurably(dir, 'f', 'new', { mode: 0o400 });
    expect(await readFile(join(dir, 'f'), 'utf8')).toBe('new');
    expect((await stat(join(dir, 'f'))).mode & 0o777).toBe(0o400);
    expect(await tempNames()).toEqual([]);
  });

  it('defaults to mode 0600', async () => {
    await writeFileDurably(dir, 'g', new Uint8Array([1, 2, 3]));
    expect((await stat(join(dir, 'g'))).mode & 0o777).toBe(0o600);
    expect([...(await readFile(join(dir, 'g')))]).toEqual([1, 2, 3]);
  });

  it('create-only refuses an existing file with EEXIST, keeps it, and removes its temp file', async () => {
    await writeFile(join(dir, 'taken'), 'first');
    const error = await writeFileDurably(dir, 'taken', 'second', { createOnly: true }).then(
      () => undefined,
      (caught: NodeJS.ErrnoException) => caught,
    );
    expect(error?.code).toBe('EEXIST');
    expect(await readFile(join(dir, 'taken'), 'utf8')).toBe('first');
    expect(await tempNames()).toEqual([]);
    await writeFileDurably(dir, 'fresh', 'x', { createOnly: true });
    expect(await readFile(join(dir, 'fresh'), 'utf8')).toBe('x');
    expect(await tempNames()).toEqual([]);
  });

  it('replaces a symlink at the target name instead of writing through it', async () => {
    await writeFile(join(dir, 'elsewhere'), 'untouched');
    await symlink(join(dir, 'elsewhere'), join(dir, 'link'));
    await writeFileDurably(dir, 'link', 'new');
    expect(await readFile(join(dir, 'elsewhere'), 'utf8')).toBe('untouched');
    expect((await stat(join(dir, 'link'))).isFile()).toBe(true);
  });

  it('fails without leaving a temp file when the target cannot be renamed into place', async () => {
    await writeFile(join(dir, 'blocker'), '');
    const error = await writeFileDurably(join(dir, 'blocker'), 'f', 'x').then(
      () => undefined,
      (caught: NodeJS.ErrnoException) => caught,
    );
    expect(error?.code).toBe('ENOTDIR');
    expect(await tempNames()).toEqual([]);
  });
});
