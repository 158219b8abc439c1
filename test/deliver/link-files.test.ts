import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { canaryValue } from '../helpers/canary.js';
import { createTestLogger } from '../helpers/log-capture.js';
import { writeSecretFileAtomic } from '../../src/deliver/atomic-write.js';
import { linkSecretFiles } from '../../src/deliver/link-files.js';
import { createSecretDir } from '../../src/deliver/secret-dir.js';
import { startWorkload } from '../../src/supervisor/start-workload.js';
import { fixturePath } from '../supervisor/support/child-lines.js';
import { diskScratch, nobody, shmScratch } from './support/scratch.js';

const log = createTestLogger();

describe('linkSecretFiles', () => {
  it('makes each file readable by the workload at its sandbox-relative path', async () => {
    // As in production: a 0711 root, the task's directory 0700 owned by the workload user.
    const shm = shmScratch();
    chmodSync(shm, 0o711);
    const { uid, gid } = nobody();
    const secrets = await createSecretDir({ rootDir: join(shm, 'root'), mountTmpfs: false, uid, gid, log });
    const secretDir = secrets.path;
    // The sandbox belongs to the task user (relative lookups need search permission on the cwd).
    const sandboxDir = diskScratch();
    chownSync(sandboxDir, uid, gid);
    await writeSecretFileAtomic({
      dir: secretDir,
      relativePath: 'secrets/db-password',
      bytes: Buffer.from(canaryValue),
      uid,
      gid,
    });
    await writeSecretFileAtomic({ dir: secretDir, relativePath: 'tls.key', bytes: Buffer.from('key'), uid, gid });
    const links = await linkSecretFiles({
      secretDir,
      sandboxDir,
      files: [{ relativePath: 'secrets/db-password' }, { relativePath: 'tls.key' }],
      uid,
      gid,
      log,
    });
    expect(links.paths).toEqual([join(sandboxDir, 'secrets/db-password'), join(sandboxDir, 'tls.key')]);
    expect(readlinkSync(join(sandboxDir, 'tls.key'))).toBe(join(secretDir, 'tls.key'));
    expect(lstatSync(join(sandboxDir, 'secrets')).mode & 0o777).toBe(0o700);

    // The workload, running as nobody in its sandbox, reads both through the links.
    const handle = await startWorkload({
      command: process.execPath,
      args: [fixturePath('report-env.mjs'), 'secrets/db-password', 'tls.key'],
      env: {},
      cwd: sandboxDir,
      uid,
      gid,
      stdio: 'pipe',
      log,
    });
    const [stdout] = await Promise.all([text(handle.stdout!), handle.exited]);
    const { files } = JSON.parse(stdout) as { files: Record<string, unknown> };
    expect(files['secrets/db-password']).toEqual({ content: canaryValue, mode: 0o400, uid, gid, symlink: true });
    expect(files['tls.key']).toMatchObject({ content: 'key', symlink: true });
    await links.close();
    await secrets.close();
  });

  it('close() removes the links and the directories it made, and nothing else', async () => {
    const secretDir = shmScratch();
    const sandboxDir = diskScratch();
    mkdirSync(join(sandboxDir, 'existing'));
    await writeSecretFileAtomic({ dir: secretDir, relativePath: 'existing/a', bytes: Buffer.from('a') });
    await writeSecretFileAtomic({ dir: secretDir, relativePath: 'new/deep/b', bytes: Buffer.from('b') });
    const links = await linkSecretFiles({
      secretDir,
      sandboxDir,
      files: [{ relativePath: 'existing/a' }, { relativePath: 'new/deep/b' }],
    });
    expect(readFileSync(join(sandboxDir, 'new/deep/b'), 'utf8')).toBe('b');
    await links.close();
    await links.close();
    expect(existsSync(join(sandboxDir, 'existing/a'))).toBe(false);
    expect(existsSync(join(sandboxDir, 'new'))).toBe(false);
    expect(existsSync(join(sandboxDir, 'existing'))).toBe(true);
  });

  it('refuses to overwrite a regular file in the sandbox', async () => {
    const secretDir = shmScratch();
    const sandboxDir = diskScratch();
    await writeSecretFileAtomic({ dir: secretDir, relativePath: 'config.yml', bytes: Buffer.from('secret') });
    writeFileSync(join(sandboxDir, 'config.yml'), 'the app data');
    await expect(
      linkSecretFiles({ secretDir, sandboxDir, files: [{ relativePath: 'config.yml' }] }),
    ).rejects.toMatchObject({
      code: 'ERR_DELIVER_WRITE_FAILED',
      message: expect.stringContaining('not a symbolic link'),
    });
    expect(readFileSync(join(sandboxDir, 'config.yml'), 'utf8')).toBe('the app data');
  });

  it('replaces a stale symlink (from an earlier run) atomically', async () => {
    const secretDir = shmScratch();
    const sandboxDir = diskScratch();
    await writeSecretFileAtomic({ dir: secretDir, relativePath: 'token', bytes: Buffer.from('fresh') });
    symlinkSync('/dev/shm/secrets-agent.1.1.gone00/token', join(sandboxDir, 'token'));
    const links = await linkSecretFiles({ secretDir, sandboxDir, files: [{ relativePath: 'token' }] });
    expect(readFileSync(join(sandboxDir, 'token'), 'utf8')).toBe('fresh');
    await links.close();
  });

  it('refuses a symlinked directory in the sandbox and rolls back links already made', async () => {
    const secretDir = shmScratch();
    const sandboxDir = diskScratch();
    const elsewhere = diskScratch();
    await writeSecretFileAtomic({ dir: secretDir, relativePath: 'first', bytes: Buffer.from('1') });
    await writeSecretFileAtomic({ dir: secretDir, relativePath: 'conf/second', bytes: Buffer.from('2') });
    symlinkSync(elsewhere, join(sandboxDir, 'conf'));
    await expect(
      linkSecretFiles({ secretDir, sandboxDir, files: [{ relativePath: 'first' }, { relativePath: 'conf/second' }] }),
    ).rejects.toMatchObject({ code: 'ERR_DELIVER_UNSAFE_LOCATION' });
    expect(existsSync(join(elsewhere, 'second'))).toBe(false);
    expect(existsSync(join(sandboxDir, 'first'))).toBe(false);
  });

  it('refuses a file that is not in the secret directory', async () => {
    await expect(
      linkSecretFiles({ secretDir: shmScratch(), sandboxDir: diskScratch(), files: [{ relativePath: 'missing' }] }),
    ).rejects.toMatchObject({
      code: 'ERR_DELIVER_WRITE_FAILED',
    });
  });
});
