// Issue 12.12: group records in storage, as two IAM instances and a crash leave them.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createIam, type Iam } from '../../../src/store/iam/iam.js';
import { groupKey, memberKey } from '../../../src/store/iam/iam-records.js';
import type { StorageBackend } from '../../../src/store/storage/backend.js';
import { createTestLogger } from '../../helpers/log-capture.js';
import { openTestStorage } from './support/iam-server.js';

const rid = 'dcos:secrets:default:/app/*';
const opened: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  for (const item of opened.reverse()) await item.close();
  opened.length = 0;
});

async function open(storage?: StorageBackend): Promise<{ iam: Iam; storage: StorageBackend }> {
  const backend = storage ?? (await openTestStorage()).storage;
  if (storage === undefined) opened.push(backend);
  const iam = await createIam({ storage: backend, log: createTestLogger() });
  opened.push(iam);
  return { iam, storage: backend };
}

describe('IAM groups in storage', () => {
  it('a second instance on the same storage sees memberships and group grants come and go', async () => {
    const { iam: first, storage } = await open();
    const { iam: second } = await open(storage);
    await first.createUser({ uid: 'ann', password: 'ann-password' });
    await first.createGroup('readers');
    await first.grantGroup({ gid: 'readers', rid, action: 'read' }, { createAcl: true });
    await first.addMember('readers', 'ann');
    await vi.waitFor(() => expect(second.isAllowed('ann', 'dcos:secrets:default:/app/db', 'read')).toBe(true));
    expect(second.isAllowed('ann', 'dcos:secrets:default:/other', 'read')).toBe(false);

    await first.revokeGroup({ gid: 'readers', rid, action: 'read' });
    await vi.waitFor(() => expect(second.isAllowed('ann', 'dcos:secrets:default:/app/db', 'read')).toBe(false));
    await first.grantGroup({ gid: 'readers', rid, action: 'read' });
    await vi.waitFor(() => expect(second.isAllowed('ann', 'dcos:secrets:default:/app/db', 'read')).toBe(true));
    await first.removeMember('readers', 'ann');
    await vi.waitFor(() => expect(second.isAllowed('ann', 'dcos:secrets:default:/app/db', 'read')).toBe(false));

    // The second instance may act on a group the first created a moment ago.
    await first.createGroup('fresh');
    await second.addMember('fresh', 'ann');
    await vi.waitFor(() => expect(first.listMembers('fresh').map((account) => account.uid)).toEqual(['ann']));
  });

  it('records left by a delete interrupted after the group record never pass to a re-created group', async () => {
    const { iam, storage } = await open();
    await iam.createUser({ uid: 'bob', password: 'bob-password' });
    await iam.createGroup('ops');
    await iam.grantGroup({ gid: 'ops', rid, action: 'full' }, { createAcl: true });
    await iam.addMember('ops', 'bob');
    expect(iam.isAllowed('bob', 'dcos:secrets:default:/app/x', 'delete')).toBe(true);

    // The crash: only the group record went; the membership and the grant stay in storage.
    await storage.delete(groupKey('ops'));
    await iam.reload();
    expect(iam.isAllowed('bob', 'dcos:secrets:default:/app/x', 'delete')).toBe(false);
    expect(await storage.get(memberKey('ops', 'bob'))).toBeDefined();

    await iam.createGroup('ops');
    expect(iam.listMembers('ops')).toEqual([]);
    expect(iam.groupPermissions('ops')).toEqual([]);
    expect(iam.isAllowed('bob', 'dcos:secrets:default:/app/x', 'delete')).toBe(false);
    // Adding bob again replaces the stale membership instead of calling it a duplicate.
    await iam.addMember('ops', 'bob');
    expect(iam.listGroupsOf('bob').map((group) => group.gid)).toEqual(['ops']);
    expect(iam.isAllowed('bob', 'dcos:secrets:default:/app/x', 'delete')).toBe(false);

    // Same for an account re-created under the same uid: the old membership is not its.
    await storage.delete('iam/accounts/bob');
    await iam.reload();
    await iam.createUser({ uid: 'bob', password: 'bob-password-2' });
    expect(iam.listGroupsOf('bob')).toEqual([]);
    expect(iam.listMembers('ops')).toEqual([]);
  });

  it('ignores a corrupt membership record and keeps serving', async () => {
    const { iam, storage } = await open();
    await iam.createUser({ uid: 'cy', password: 'cy-password' });
    await iam.createGroup('g');
    await iam.grantGroup({ gid: 'g', rid, action: 'read' }, { createAcl: true });
    await storage.put(memberKey('g', 'cy'), new TextEncoder().encode('{"format":1,"gid":"g"}'));
    await iam.reload();
    expect(iam.listMembers('g')).toEqual([]);
    expect(iam.isAllowed('cy', 'dcos:secrets:default:/app/x', 'read')).toBe(false);
    await iam.addMember('g', 'cy');
    expect(iam.isAllowed('cy', 'dcos:secrets:default:/app/x', 'read')).toBe(true);
  });
});
