import { existsSync, readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canaryValue } from '../helpers/canary.js';
import { capturedLogLines, createTestLogger } from '../helpers/log-capture.js';
import { writeSecretFileAtomic } from '../../src/deliver/atomic-write.js';
import { detectFsType } from '../../src/deliver/fs-type.js';
import { createSecretDir } from '../../src/deliver/secret-dir.js';
import { diskScratch, isRoot, mountInfo, nobody, shmScratch } from './support/scratch.js';

const log = createTestLogger();

describe('createSecretDir on an existing tmpfs (/dev/shm, no mount)', () => {
  it('creates a 0700 directory owned by the workload user, named for its owner process', async () => {
    const root = shmScratch();
    const { uid, gid } = nobody();
    const dir = await createSecretDir({ rootDir: root, mountTmpfs: false, uid, gid, log });
    const info = statSync(dir.path);
    expect(info.mode & 0o777).toBe(0o700);
    expect([info.uid, info.gid]).toEqual([uid, gid]);
    expect(dir).toMatchObject({ fsType: 'tmpfs', mounted: false });
    expect(dir.path).toMatch(new RegExp(`^${root}/secrets-agent\\.${process.pid}\\.\\d+\\.[A-Za-z0-9]{6}$`));
    // The write probe leaves nothing behind.
    expect(readdirSync(dir.path)).toEqual([]);
    await dir.close();
  });

  it('close() removes every file and the directory, and is safe to call twice', async () => {
    const dir = await createSecretDir({ rootDir: shmScratch(), mountTmpfs: false, log });
    await writeSecretFileAtomic({ dir: dir.path, relativePath: 'db/password', bytes: Buffer.from(canaryValue) });
    await writeSecretFileAtomic({ dir: dir.path, relativePath: 'tls/key.pem', bytes: Buffer.from('key') });
    const first = dir.close();
    expect(dir.close()).toBe(first);
    await first;
    expect(existsSync(dir.path)).toBe(false);
  });
});

describe('createSecretDir on disk-backed storage', () => {
  it('refuses it with ERR_DELIVER_UNSAFE_LOCATION and leaves nothing behind', async (context) => {
    const root = diskScratch();
    if ((await detectFsType(root)) !== 'disk') context.skip(`${root} is not disk-backed on this machine`);
    await expect(createSecretDir({ rootDir: root, mountTmpfs: false, log })).rejects.toMatchObject({
      code: 'ERR_DELIVER_UNSAFE_LOCATION',
      exitCode: 78,
    });
    expect(readdirSync(root)).toEqual([]);
  });

  it('accepts it with allowDisk, and says so in the log', async (context) => {
    const root = diskScratch();
    if ((await detectFsType(root)) !== 'disk') context.skip(`${root} is not disk-backed on this machine`);
    const dir = await createSecretDir({ rootDir: root, mountTmpfs: false, allowDisk: true, log });
    expect(dir.fsType).toBe('disk');
    expect(capturedLogLines().some((line) => line.includes(dir.path) && line.includes('disk-backed'))).toBe(true);
    await dir.close();
    expect(readdirSync(root)).toEqual([]);
  });
});

describe('createSecretDir with a private tmpfs mount', () => {
  it('mounts a capped noexec/nosuid/nodev tmpfs even under a disk-backed root, and close() unmounts it', async (context) => {
    if (!isRoot) context.skip('mounting a tmpfs needs root (CAP_SYS_ADMIN)');
    const root = diskScratch();
    const { uid, gid } = nobody();
    const dir = await createSecretDir({ rootDir: root, sizeBytes: 1024 * 1024, uid, gid, log });
    expect(dir).toMatchObject({ mounted: true, fsType: 'tmpfs' });
    const line = mountInfo(dir.path);
    expect(line).toBeDefined();
    const [mountOptions, , fsType, , superOptions] = (line as string).split(' ').slice(5);
    expect(fsType).toBe('tmpfs');
    expect(mountOptions?.split(',')).toEqual(expect.arrayContaining(['nosuid', 'nodev', 'noexec']));
    expect(superOptions?.split(',')).toEqual(expect.arrayContaining(['size=1024k', 'mode=700']));
    if (dir.noswap) expect(superOptions).toContain('noswap');
    const info = statSync(dir.path);
    expect([info.mode & 0o777, info.uid, info.gid]).toEqual([0o700, uid, gid]);

    await writeSecretFileAtomic({
      dir: dir.path,
      relativePath: 'a/b/secret',
      bytes: Buffer.from(canaryValue),
      uid,
      gid,
    });
    await dir.close();
    expect(mountInfo(dir.path)).toBeUndefined();
    expect(existsSync(dir.path)).toBe(false);
  });

  it('enforces sizeBytes: a write past the cap fails and leaves no temp file', async (context) => {
    if (!isRoot) context.skip('mounting a tmpfs needs root (CAP_SYS_ADMIN)');
    const dir = await createSecretDir({ rootDir: diskScratch(), sizeBytes: 64 * 1024, log });
    await expect(
      writeSecretFileAtomic({ dir: dir.path, relativePath: 'big', bytes: Buffer.alloc(256 * 1024, 0x61) }),
    ).rejects.toMatchObject({ code: 'ERR_DELIVER_WRITE_FAILED', message: expect.stringContaining('ENOSPC') });
    expect(readdirSync(dir.path)).toEqual([]);
    await dir.close();
  });
});

describe('createSecretDir options', () => {
  it('refuses bad options with the option named', async () => {
    await expect(createSecretDir({ sizeBytes: 10 })).rejects.toThrow(
      'Expected `sizeBytes` to be an integer of at least 4096, got `10` (number)',
    );
    await expect(createSecretDir({ uid: -1 })).rejects.toThrow(
      'Expected `uid` to be a non-negative integer, got `-1` (number)',
    );
  });
});
