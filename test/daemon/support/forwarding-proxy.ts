// A plain HTTP forwarding proxy on 127.0.0.1:0 in front of the real store. The daemon tests put it
// between the daemon and the store to count requests, to take the store away and back (a refused
// upstream drops the client's connection, as a dead host would), or to stand in for a store
// without some endpoint.
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ForwardingProxyOptions {
  /** Where each request goes, looked up per request (a restarted store keeps its port). */
  readonly upstream: () => { readonly host: string; readonly port: number };
  /** Sees every request first; returns true when it has answered it itself (not forwarded). */
  readonly inspect?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface ForwardingProxy {
  readonly url: string;
  /** Drops open connections and stops listening. */
  close(): Promise<void>;
}

export async function startForwardingProxy(options: ForwardingProxyOptions): Promise<ForwardingProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (options.inspect?.(req, res) === true) return;
    const { host, port } = options.upstream();
    const upstream = request({ host, port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
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
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
