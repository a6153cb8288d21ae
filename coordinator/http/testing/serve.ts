import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type AppHarness, appHarness } from './harness.js';

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

/** ServedTenant is a harness app with node n1 and tenant t, served on loopback. */
export interface ServedTenant {
  h: AppHarness;
  served: Served;
  token: string;
  /** close stops the server, then the harness */
  close(): Promise<void>;
}

/** servedTenant builds the usual TCP test setup: a harness, one node, one tenant's token, the app on loopback. */
export async function servedTenant(): Promise<ServedTenant> {
  const h = await appHarness();
  h.addNode('n1');
  const token = (await h.tenant('t')).token;
  const served = await serveOnLoopback(h.app.fetch);
  return {
    h,
    served,
    token,
    close: async () => {
      await served.close();
      await h.close();
    },
  };
}
