import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseWorkloadUser } from '../../src/agent/parse-user.js';
import { shmScratch } from '../deliver/support/scratch.js';

let files: { passwdFile: string; groupFile: string };

beforeAll(async () => {
  const dir = shmScratch();
  files = { passwdFile: join(dir, 'passwd'), groupFile: join(dir, 'group') };
  await writeFile(
    files.passwdFile,
    'root:x:0:0:root:/root:/bin/bash\n# comment\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\napp:x:1000:1001::/home/app:/bin/sh\n',
  );
  await writeFile(files.groupFile, 'root:x:0:\nstaff:x:50:\n');
});

describe('parseWorkloadUser', () => {
  it.each([
    ['nobody', { uid: 65534, gid: 65534 }],
    ['app', { uid: 1000, gid: 1001 }],
    ['1000', { uid: 1000, gid: 1001 }],
    ['4242', { uid: 4242, gid: 4242 }],
    ['app:staff', { uid: 1000, gid: 50 }],
    ['4242:7', { uid: 4242, gid: 7 }],
  ])('resolves %s', async (value, ids) => {
    expect(await parseWorkloadUser(value, files)).toEqual({ ...ids, name: value });
  });

  it.each([
    ['ghost', /no such user/],
    ['app:ghosts', /no such group `ghosts`/],
    ['', /Expected `--user`/],
    ['a:b:c', /Expected `--user`/],
    ['app:', /Expected `--user`/],
  ])('refuses %j with ERR_USAGE', async (value, message) => {
    await expect(parseWorkloadUser(value, files)).rejects.toMatchObject({
      code: 'ERR_USAGE',
      message: expect.stringMatching(message),
    });
  });
});
