import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolveListen } from '../shared/listen.js';
import type { Logger } from '../shared/log.js';
import type { AgentMetrics } from './metrics.js';

/** MetricsServer is the agent's /metrics endpoint and the address it bound. */
export interface MetricsServer {
  address: string;
  close(): Promise<void>;
}

/**
 * serveMetrics answers GET /metrics on the configured ADDR:PORT or IFACE:PORT (loopback by
 * default; a wildcard needs to be spelled out as an address). Anything else is 404.
 */
export async function serveMetrics(
  listen: string,
  metrics: AgentMetrics,
  log: Logger,
): Promise<MetricsServer> {
  const { host, port } = resolveListen(listen);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.render().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: unknown) => {
        log.error('metrics scrape failed', { err });
        res.writeHead(500, { 'content-type': 'text/plain' }).end('scrape failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const bound = server.address() as AddressInfo;
  return {
    address: `${bound.address}:${bound.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
