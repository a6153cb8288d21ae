import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

/** Served is an app listening on a loopback port, for tests that need real TCP. */
export interface Served {
  server: ReturnType<typeof serve>;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** serveOnLoopback serves `fetch` (a hono app's) on 127.0.0.1 at a free port and resolves once it listens. */
export async function serveOnLoopback(fetch: Parameters<typeof serve>[0]['fetch']): Promise<Served> {
  const server = serve({ fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
