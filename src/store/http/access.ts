// The seam between the HTTP pipeline and whoever decides who the caller is and what it may do.
// The bootstrap-token control (bootstrap-access.ts) and the IAM both implement it.

export const accessActions = ['create', 'read', 'update', 'delete', 'full'] as const;
export type AccessAction = (typeof accessActions)[number];

export interface Principal {
  readonly uid: string;
  /** Holds `dcos:superuser` `full`: every check passes. */
  readonly superuser: boolean;
}

export interface AccessControl {
  /** Resolves the caller from the request's Authorization header (`token=<jwt>` or `Bearer <jwt>`)
   * or the `dcos-acs-auth-cookie` cookie. Throws ERR_AUTH_REQUIRED / ERR_AUTH_TOKEN_INVALID / ERR_AUTH_TOKEN_EXPIRED. */
  authenticate(headers: { authorization?: string | undefined; cookie?: string | undefined }): Promise<Principal>;
  /** Throws ERR_FORBIDDEN naming `rid` and `action` when the principal lacks the permission. */
  authorize(principal: Principal, rid: string, action: AccessAction): Promise<void>;
  /** The principal's own grants (the web interface finds the folders it may show); absent: none known. */
  listGrants?(principal: Principal): readonly PrincipalGrant[];
}

export interface PrincipalGrant {
  readonly rid: string;
  readonly actions: readonly AccessAction[];
}
