import { mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canaryValue } from '../helpers/canary.js';
import { writeSecretFileAtomic } from '../../src/deliver/atomic-write.js';
import { runFixture } from '../supervisor/support/child-lines.js';
import { nobody, shmScratch } from './support/scratch.js';

describe('writeSecretFileAtomic', () => {
  it('writes files 0400 and intermediate directories 0700, owned by uid/gid', async () => {
    const dir = shmScratch();
    const { uid, gid } = nobody();
    const written = await writeSecretFileAtomic({
      dir,
      relativePath: 'db/creds/password',
      bytes: Buffer.from(canaryValue),
      uid,
      gid,
    });
    expect(written).toBe(join(dir, 'db/creds/password'));
    expect(readFileSync(written, 'utf8')).toBe(canaryValue);
    const file = statSync(written);
    expect([file.mode & 0o777, file.uid, file.gid]).toEqual([0o400, uid, gid]);
    for (const sub of ['db', 'db/creds']) {
      const info = statSync(join(dir, sub));
      expect([info.mode & 0o777, info.uid, info.gid]).toEqual([0o700, uid, gid]);
    }
  });

  it('honours an explicit mode and replaces content in place without leaving temp files', async () => {
    const dir = shmScratch();
    await writeSecretFileAtomic({ dir, relativePath: 'token', bytes: Buffer.from('one'), mode: 0o440 });
    await writeSecretFileAtomic({ dir, relativePath: './token', bytes: Buffer.from('two'), mode: 0o440 });
    expect(readFileSync(join(dir, 'token'), 'utf8')).toBe('two');
    expect(statSync(join(dir, 'token')).mode & 0o777).toBe(0o440);
    expect(readdirSync(dir)).toEqual(['token']);
  });

  it('refuses paths that escape the directory', async () => {
    const dir = shmScratch();
    for (const relativePath of ['../escape', '/etc/passwd', 'a/../../escape', '', '.', 'a/\0b']) {
      await expect(writeSecretFileAtomic({ dir, relativePath, bytes: Buffer.from('x') })).rejects.toMatchObject({
        code: 'ERR_INPUT_INVALID',
      });
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses to follow a symlink already present on the way', async () => {
    const dir = shmScratch();
    const outside = shmScratch();
    symlinkSync(outside, join(dir, 'link'));
    await expect(
      writeSecretFileAtomic({ dir, relativePath: 'link/secret', bytes: Buffer.from(canaryValue) }),
    ).rejects.toMatchObject({
      code: 'ERR_DELIVER_UNSAFE_LOCATION',
      message: expect.stringContaining('symbolic link'),
    });
    mkdirSync(join(dir, 'real'));
    symlinkSync(outside, join(dir, 'real', 'nested'));
    await expect(
      writeSecretFileAtomic({ dir, relativePath: 'real/nested/deeper/secret', bytes: Buffer.from('x') }),
    ).rejects.toMatchObject({
      code: 'ERR_DELIVER_UNSAFE_LOCATION',
    });
    expect(readdirSync(outside)).toEqual([]);
  });

  it('replaces a symlink in the final position instead of writing through it', async () => {
    const dir = shmScratch();
    const outside = join(shmScratch(), 'victim');
    writeFileSync(outside, 'untouched');
    symlinkSync(outside, join(dir, 'secret'));
    await writeSecretFileAtomic({ dir, relativePath: 'secret', bytes: Buffer.from('new') });
    expect(readFileSync(outside, 'utf8')).toBe('untouched');
    expect(statSync(join(dir, 'secret')).isFile()).toBe(true);
  });

  it('fails with ERR_DELIVER_WRITE_FAILED when a path component is a file, leaving no temp file', async () => {
    const dir = shmScratch();
    writeFileSync(join(dir, 'file'), 'x');
    await expect(
      writeSecretFileAtomic({ dir, relativePath: 'file/secret', bytes: Buffer.from('x') }),
    ).rejects.toMatchObject({
      code: 'ERR_DELIVER_WRITE_FAILED',
    });
    mkdirSync(join(dir, 'taken'));
    await expect(writeSecretFileAtomic({ dir, relativePath: 'taken', bytes: Buffer.from('x') })).rejects.toMatchObject({
      code: 'ERR_DELIVER_WRITE_FAILED',
    });
    expect(readdirSync(dir).sort()).toEqual(['file', 'taken']);
  });

  it('refuses modes that let group or others write', async () => {
    await expect(
      writeSecretFileAtomic({ dir: shmScratch(), relativePath: 'x', bytes: Buffer.from('x'), mode: 0o666 }),
    ).rejects.toThrow(
      'Expected `mode` to be permission bits without group/other write (e.g. 0o400), got `438` (number)',
    );
  });

  it('a concurrent reader in another process never sees a partial file', async () => {
    const dir = shmScratch();
    // Sizes differ so that a torn read (old length, new bytes, or a short file) is detectable.
    const [sizeA, sizeB] = [512 * 1024, 640 * 1024];
    const contentA = Buffer.alloc(sizeA, 0x61);
    const contentB = Buffer.alloc(sizeB, 0x62);
    const path = await writeSecretFileAtomic({ dir, relativePath: 'rotating', bytes: contentA });
    const reader = runFixture('read-loop.mjs', [path, String(sizeA), String(sizeB)]);
    await reader.waitFor((line) => line['ready'] === true);
    for (let round = 0; round < 200; round += 1) {
      await writeSecretFileAtomic({ dir, relativePath: 'rotating', bytes: round % 2 === 0 ? contentB : contentA });
    }
    reader.child.stdin?.end();
    const report = await reader.waitFor((line) => 'reads' in line);
    expect(report).toMatchObject({ torn: 0, missing: 0 });
    expect(report['reads']).toBeGreaterThan(20);
    expect(readdirSync(dir)).toEqual(['rotating']);
    expect(existsSync(join(dir, 'rotating'))).toBe(true);
  });
});
