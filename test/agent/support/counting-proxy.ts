// A plain HTTP proxy in front of the store that counts requests per URL path, so a test can see
// how often the agent really asked for a secret; each path of a batch read counts as
// `BATCH <path>`. With `refuseBatch` it answers the batch route 404 as a DC/OS store does.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CountingProxy {
  readonly url: string;
  /** `METHOD /path` -> requests seen; `BATCH <secret path>` -> batch reads that named it. */
  readonly counts: Map<string, number>;
  /** Answer `POST /secrets/v1/batch/...` with 404, as a store without the batch read does. */
  refuseBatch: boolean;
  close(): Promise<void>;
}

const batchPrefix = '/secrets/v1/batch/';

export async function startCountingProxy(targetUrl: string): Promise<CountingProxy> {
  const target = new URL(targetUrl);
  const counts = new Map<string, number>();
  const count = (key: string): void => {
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  const forward = (req: IncomingMessage, res: ServerResponse, body?: Buffer): void => {
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    if (body === undefined) req.pipe(upstream);
    else upstream.end(body);
  };
  const proxy: CountingProxy = {
    url: '',
    counts,
    refuseBatch: false,
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    count(`${req.method ?? 'GET'} ${path}`);
    if (!path.startsWith(batchPrefix)) {
      forward(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (proxy.refuseBatch) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ title: 'Not Found', description: 'no endpoint' }));
        return;
      }
      try {
        const { paths } = JSON.parse(body.toString('utf8')) as { paths: string[] };
        for (const secretPath of paths) count(`BATCH ${secretPath}`);
      } catch {
        // Not ours to judge: the store answers it.
      }
      forward(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
