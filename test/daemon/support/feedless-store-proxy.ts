// Stand-in for a DC/OS Secret Store, which has no change feed: a proxy in front of the real store
// that forwards every request except `GET /secrets/v1/changes/...`, which it answers 404 as the
// DC/OS secrets service does for a path it does not serve (Go's "404 page not found"). The one
// named stand-in of the daemon tests: everything behind it is the real store with the real IAM.
import { startForwardingProxy } from './forwarding-proxy.js';

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
  const proxy = await startForwardingProxy({
    upstream: () => ({ host: upstreamUrl.hostname, port: Number(upstreamUrl.port) }),
    inspect(req, res) {
      if (!(req.url ?? '').startsWith(changesPrefix)) return false;
      feedRequests += 1;
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('404 page not found\n');
      return true;
    },
  });
  return {
    url: proxy.url,
    get feedRequests() {
      return feedRequests;
    },
    close: () => proxy.close(),
  };
}
