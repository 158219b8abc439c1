// What the HTTP clients need from authentication (src/auth implements it; the client does not import auth).

/** Where a client gets its auth token, and how it reports one the store refused. */
export interface TokenProvider {
  /** A DC/OS auth token, sent as `Authorization: token=<token>`. */
  getToken(): Promise<string>;
  /** The server refused `rejectedToken` (HTTP 401; `reason` is that error): the next getToken() must
   * not return it again. It logs in anew, or throws ERR_AUTH_LOGIN_REQUIRED when it cannot.
   * A stale call (the provider already holds a newer token) changes nothing. */
  invalidate(rejectedToken?: string, reason?: unknown): void;
}
