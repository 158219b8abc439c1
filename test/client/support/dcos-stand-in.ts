// Stand-ins for a *real DC/OS cluster*: node:http servers on 127.0.0.1:0 that answer the way Admin Router, the
// Secrets service and the IAM do (docs/wire-formats.md#error-bodies, docs/wire-formats.md#iam-login), for the cases
// our own store never produces (HTML 401 pages, bare `{title, description}` bodies, 503 from a proxy).
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** The request target exactly as sent (percent-encoding kept). */
  readonly rawUrl: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

export type StandInHandler = (request: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface DcosStandIn {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Sockets the server accepted (keep-alive reuse check). */
  readonly connections: () => number;
  close(): Promise<void>;
}

// Starts a stand-in; every request is recorded before `handler` answers it.
export async function startDcosStandIn(handler: StandInHandler): Promise<DcosStandIn> {
  const requests: RecordedRequest[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        rawUrl: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(recorded);
      Promise.resolve(handler(recorded, res)).catch((error: unknown) => {
        res.destroy(error as Error);
      });
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeIdleConnections();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// A DC/OS-style JSON error: `{title, description}` plus `code` when given.
export function sendDcosError(
  res: ServerResponse,
  status: number,
  title: string,
  description: string,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ title, description, ...extra });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
