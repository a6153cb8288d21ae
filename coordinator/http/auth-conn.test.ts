import { Agent, request } from 'node:http';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { HARNESS_ADMIN_TOKEN, type AppHarness, appHarness } from './testing/harness.js';
import { type Served, serveOnLoopback } from './testing/serve.js';

// Auth remembers the last token that verified on a connection (coordinator/tenants/conn-token.ts);
// over ONE keep-alive connection, other tokens, bad ones and a deleted tenant's must still be judged afresh.
let h: AppHarness;
let served: Served;
let port: number;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

beforeEach(async () => {
  h = await appHarness();
  served = await serveOnLoopback(h.app.fetch);
  port = served.port;
});
afterEach(async () => {
  agent.destroy();
  await served.close();
});

function call(method: string, path: string, token: string): Promise<{ status: number; socket: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, agent, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: req.socket }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

it('judges every token afresh on a shared connection: other tenant, bad token, deleted tenant', async () => {
  const a = await h.tenant('a');
  const b = await h.tenant('b');
  const first = await call('GET', '/v1/vms', a.token);
  expect(first.status).toBe(200);
  expect((await call('GET', '/v1/vms', a.token)).status).toBe(200);
  expect((await call('GET', '/v1/nodes', a.token)).status).toBe(404); // still a tenant, not the admin
  expect((await call('GET', '/v1/nodes', HARNESS_ADMIN_TOKEN)).status).toBe(200);
  expect((await call('GET', '/v1/nodes', a.token)).status).toBe(404);
  expect((await call('GET', '/v1/vms', `${a.token.slice(0, -1)}_`)).status).toBe(401);
  expect((await call('GET', '/v1/vms', b.token)).status).toBe(200);
  expect((await call('GET', '/v1/vms', a.token)).status).toBe(200);
  expect((await call('DELETE', `/v1/tenants/${a.id}`, HARNESS_ADMIN_TOKEN)).status).toBe(204);
  const last = await call('GET', '/v1/vms', a.token);
  expect(last.status).toBe(401);
  expect(last.socket).toBe(first.socket); // all of it over one connection
});
