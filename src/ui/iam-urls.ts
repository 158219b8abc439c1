// IAM API paths with their parameters percent-encoded (a rid's `/` travels as `%2F`).
const base = '/acs/api/v1';

/** Who a grant goes to: an account (user or service account) or a group. */
export interface GrantHolder {
  readonly kind: 'account' | 'group';
  readonly id: string;
}

export const iamUrls = {
  users: (type: 'user' | 'service') => `${base}/users?type=${type}`,
  user: (uid: string) => `${base}/users/${encodeURIComponent(uid)}`,
  userPermissions: (uid: string) => `${base}/users/${encodeURIComponent(uid)}/permissions`,
  groups: () => `${base}/groups`,
  group: (gid: string) => `${base}/groups/${encodeURIComponent(gid)}`,
  groupPermissions: (gid: string) => `${base}/groups/${encodeURIComponent(gid)}/permissions`,
  groupMember: (gid: string, uid: string) =>
    `${base}/groups/${encodeURIComponent(gid)}/users/${encodeURIComponent(uid)}`,
  acls: () => `${base}/acls`,
  acl: (rid: string) => `${base}/acls/${encodeURIComponent(rid)}`,
  aclUser: (rid: string, uid: string) => `${base}/acls/${encodeURIComponent(rid)}/users/${encodeURIComponent(uid)}`,
  grant: (rid: string, holder: GrantHolder, action: string) =>
    `${base}/acls/${encodeURIComponent(rid)}/${holder.kind === 'group' ? 'groups' : 'users'}/${encodeURIComponent(holder.id)}/${encodeURIComponent(action)}`,
};
