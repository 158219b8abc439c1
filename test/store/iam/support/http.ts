// Small fetch wrapper for the IAM tests (global fetch; undici itself stays in src/client/).
export interface TestResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  readonly text: string;
}

export interface TestRequest {
  method?: string;
  /** Sent as `Authorization: token=<token>`. */
  token?: string;
  headers?: Record<string, string>;
  json?: unknown;
}

export async function call(baseUrl: string, path: string, request: TestRequest = {}): Promise<TestResponse> {
  const headers: Record<string, string> = { ...request.headers };
  if (request.token !== undefined) headers['authorization'] = `token=${request.token}`;
  if (request.json !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, {
    method: request.method ?? 'GET',
    headers,
    ...(request.json === undefined ? {} : { body: JSON.stringify(request.json) }),
  });
  const text = await response.text();
  let body: unknown = undefined;
  if (text !== '' && (response.headers.get('content-type') ?? '').startsWith('application/json'))
    body = JSON.parse(text);
  return { status: response.status, headers: response.headers, body, text };
}

export async function loginWithPassword(baseUrl: string, uid: string, password: string): Promise<string> {
  const response = await call(baseUrl, '/acs/api/v1/auth/login', { method: 'POST', json: { uid, password } });
  if (response.status !== 200) throw new Error(`login of ${uid} answered ${response.status}: ${response.text}`);
  return (response.body as { token: string }).token;
}
