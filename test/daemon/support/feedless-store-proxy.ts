// Stand-in for a DC/OS Secret Store, which has no change feed: a proxy in front of the real store
// that forwards every request except `GET /secrets/v1/changes/...`, which it answers 404 as the
// DC/OS secrets service does for a path it does not serve (Go's "404 page not found"). The one
// named stand-in of the daemon tests: everything behind it is the real store with the real IAM.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FeedlessStoreProxy {
  /** Where the daemon connects. */
  readonly url: string;
  /** Change-feed requests answered 404. */
  readonly feedRequests: number;
  close(): Promise<void>;
}

const changesPrefix = '/secrets/v1/changes/';

// Starts the proxy in front of the store at `storeUrl` (http://host:port).
export async function startFeedlessStoreProxy(storeUrl: string): Promise<FeedlessStoreProxy> {
  const upstreamUrl = new URL(storeUrl);
  let feedRequests = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if ((req.url ?? '').startsWith(changesPrefix)) {
      feedRequests += 1;
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('404 page not found\n');
      return;
    }
    const upstream = request({ host: upstreamUrl.hostname, port: upstreamUrl.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.socket?.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get feedRequests() {
      return feedRequests;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
