import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AppDefIssue } from '../../src/appdef/index.js';
import { readTaskUser, resolveTaskUser } from '../../src/daemon/task-user.js';
import { diskScratch } from '../deliver/support/scratch.js';

const read = (
  root: unknown,
  containerIndex?: number,
): { user: ReturnType<typeof readTaskUser>; issues: AppDefIssue[] } => {
  const issues: AppDefIssue[] = [];
  return { user: readTaskUser(root, containerIndex, issues), issues };
};

describe('task user from a definition', () => {
  it("reads an app's `user`, and none when it is absent", () => {
    expect(read({ user: 'nobody' }).user).toEqual({ name: 'nobody', pointer: '/user' });
    expect(read({ cmd: 'x' }).user).toBeUndefined();
  });

  it("prefers the task container's `user` in a pod, else the pod's", () => {
    const pod = { user: 'pod-user', containers: [{ name: 'a', user: 'a-user' }, { name: 'b' }] };
    expect(read(pod, 0).user).toEqual({ name: 'a-user', pointer: '/containers/0/user' });
    expect(read(pod, 1).user).toEqual({ name: 'pod-user', pointer: '/user' });
  });

  it('reports a `user` that is not a non-empty string with its pointer', () => {
    expect(read({ user: 7 }).issues.map((issue) => issue.pointer)).toEqual(['/user']);
    expect(read({ user: ' ' }).issues.map((issue) => issue.pointer)).toEqual(['/user']);
    expect(read({ containers: [{ user: '' }] }, 0).issues.map((issue) => issue.pointer)).toEqual([
      '/containers/0/user',
    ]);
  });
});

describe('task user on this node', () => {
  const accounts = async (): Promise<{ passwdFile: string; groupFile: string }> => {
    const dir = diskScratch();
    const passwdFile = join(dir, 'passwd');
    const groupFile = join(dir, 'group');
    await writeFile(passwdFile, 'root:x:0:0:root:/root:/bin/sh\nsvc:x:4242:4343::/home/svc:/bin/sh\n');
    await writeFile(groupFile, 'root:x:0:\nsvc:x:4343:\nops:x:5000:\n');
    return { passwdFile, groupFile };
  };

  it('resolves a name to its ids and primary group, NAME:GROUP to that group', async (context) => {
    if (process.geteuid?.() !== 0) context.skip('switching users needs root');
    const files = await accounts();
    expect(await resolveTaskUser({ name: 'svc', pointer: '/user' }, files)).toMatchObject({ uid: 4242, gid: 4343 });
    expect(await resolveTaskUser({ name: 'svc:ops', pointer: '/user' }, files)).toMatchObject({ uid: 4242, gid: 5000 });
  });

  it('names the pointer when the account is unknown, without the --user flag wording', async () => {
    const files = await accounts();
    const failure = resolveTaskUser({ name: 'ghost', pointer: '/containers/1/user' }, files);
    await expect(failure).rejects.toMatchObject({
      code: 'ERR_APPDEF_INVALID',
      details: { pointer: '/containers/1/user' },
    });
    await expect(failure).rejects.toThrow(/^\/containers\/1\/user: cannot run the task as `ghost`: no such user in /);
    await expect(resolveTaskUser({ name: 'svc:nogroup-here', pointer: '/user' }, files)).rejects.toThrow(
      /^\/user: .*no such group `nogroup-here`/,
    );
  });
});
