// GET /metrics: the store's Prometheus metrics. On the API listener it needs a token of a superuser
// or of an account granted `dcos:secrets:metrics` read (scrapers get their own service account);
// on the optional --metrics-listen listener it is the only route and answers without a token, so
// bind that one to an address only the scraper reaches.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendBytes } from '../http/respond.js';
import type { Route } from '../http/router.js';
import { metricsRid, type StoreMetrics } from '../store-metrics.js';

const contentType = 'text/plain; version=0.0.4; charset=utf-8';

// The authenticated route on the API listener.
export function createMetricsRoutes(options: { readonly metrics: StoreMetrics }): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/metrics',
      async handler(context) {
        await context.authorize(metricsRid, 'read');
        sendBytes(context.res, 200, Buffer.from(await options.metrics.render()), contentType);
      },
    },
  ];
}

export interface MetricsListener {
  readonly url: string;
  close(): Promise<void>;
}

// A second listener serving only GET /metrics, without authentication.
export async function listenForMetrics(metrics: StoreMetrics, host: string, port: number): Promise<MetricsListener> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(path === '/metrics' ? 405 : 404, { 'Content-Type': 'text/plain' }).end();
      return;
    }
    metrics.render().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
