// Calls the store's own API on this origin. The auth token lives only in this object (never in
// storage or a URL) and goes out as `Authorization: token=...`; `credentials: 'omit'` keeps the
// browser from storing or sending the login cookie, so no request is ever authenticated by an
// ambient credential (the CSRF defense: a page elsewhere cannot make the browser send the token).

/** An error answer of the API, kept as the API said it. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;

  constructor(status: number, title: string, description: string, code: string | undefined) {
    super(description === '' ? `${status} ${title}` : `${status} ${title}: ${description}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export interface RequestOptions {
  readonly json?: unknown;
  readonly bytes?: Blob;
  readonly accept?: string;
}

export interface ApiEvents {
  /** The token was refused (expired, revoked, account deleted). */
  onUnauthorized(): void;
  /** A call answered that the store is sealed. */
  onSealed(): void;
}

export class Api {
  #token: string | undefined;
  readonly #events: ApiEvents;

  constructor(events: ApiEvents) {
    this.#events = events;
  }

  setToken(token: string | undefined): void {
    this.#token = token;
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.#token !== undefined) headers['authorization'] = `token=${this.#token}`;
    if (options.accept !== undefined) headers['accept'] = options.accept;
    let body: BodyInit | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.bytes !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      body = options.bytes;
    }
    const response = await fetch(path, {
      method,
      headers,
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'error',
      ...(body === undefined ? {} : { body }),
    });
    if (response.ok) return response;
    const error = await readApiError(response);
    if (response.status === 401 && this.#token !== undefined) this.#events.onUnauthorized();
    if (error.code === 'ERR_STORE_SEALED') this.#events.onSealed();
    throw error;
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(method, path, { accept: 'application/json', ...options });
    return (await response.json()) as T;
  }
}

async function readApiError(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let title = response.statusText;
  let description = '';
  let code: string | undefined;
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === 'object' && body !== null) {
      const fields = body as Record<string, unknown>;
      if (typeof fields['title'] === 'string') title = fields['title'];
      if (typeof fields['description'] === 'string') description = fields['description'];
      if (typeof fields['code'] === 'string') code = fields['code'];
    }
  } catch {
    description = text.slice(0, 500);
  }
  return new ApiError(response.status, title, description, code);
}

// The message to show for any failure: the API's own words, or what went wrong on the way.
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

// `/secrets/v1/secret/default/a/b`: each segment percent-encoded (the API names a bad one back).
export function secretUrl(path: string): string {
  return `/secrets/v1/secret/default/${path.split('/').map(encodeURIComponent).join('/')}`;
}

export function listUrl(folder: string): string {
  return folder === '' ? '/secrets/v1/secret/default/?list=true' : `${secretUrl(folder)}/?list=true`;
}
