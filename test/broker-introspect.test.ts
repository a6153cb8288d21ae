import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Broker, chat, type LicenseKit, makeLicenseKit, startBroker } from './helpers/broker.js';
import { startTestUpstream, type TestUpstream } from './helpers/openai-upstream.js';
import {
  ADMIN_TOKEN,
  type Coordinator,
  createTenant,
  requireBuild,
  startCoordinator,
} from './helpers/procs.js';

// Tenant tokens through the real coordinator's POST /v1/tokens/introspect: the broker calls it with
// its own credential and caches each answer for --introspect-cache-ms.

const BROKER_TOKEN = 'e2e-broker-credential-0123456789';
let kit: LicenseKit;
let up: TestUpstream;
let coord: Coordinator;
let broker: Broker;
let tenant: { id: string; token: string };

beforeAll(async () => {
  requireBuild();
  kit = await makeLicenseKit();
  up = await startTestUpstream('a');
  coord = await startCoordinator({ env: { VMPOOL_BROKER_TOKEN: BROKER_TOKEN } });
  tenant = await createTenant(coord, 'inference-user');
  broker = await startBroker(kit, [up], {
    args: ['--coordinator', coord.url, '--introspect-cache-ms', '700'],
    env: { VMPOOL_BROKER_TOKEN: BROKER_TOKEN },
  });
});

afterAll(async () => {
  await broker?.kill();
  await coord?.kill();
  await up?.close();
  if (coord) await rm(coord.dataDir, { recursive: true, force: true });
  if (kit) await rm(kit.dir, { recursive: true, force: true });
});

describe('broker token introspection against the coordinator', () => {
  it('the coordinator answers only the broker credential, and only for tenant tokens', async () => {
    const ask = (bearer: string, token: string) =>
      fetch(`${coord.url}/v1/tokens/introspect`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      });
    expect((await ask(tenant.token, tenant.token)).status).toBe(401);
    expect((await ask(ADMIN_TOKEN, tenant.token)).status).toBe(401);
    expect(await (await ask(BROKER_TOKEN, tenant.token)).json()).toEqual({
      active: true,
      tenant_id: tenant.id,
      tenant_name: 'inference-user',
    });
    expect(await (await ask(BROKER_TOKEN, ADMIN_TOKEN)).json()).toEqual({ active: false });
    expect(await (await ask(BROKER_TOKEN, 'vmp_unknown')).json()).toEqual({ active: false });
    expect((await ask(BROKER_TOKEN, '')).status).toBe(400);
  });

  it('meters a tenant-token call under the tenant id; unknown and coordinator-admin tokens are 401', async () => {
    const r = await broker.call('/v1/chat/completions', { key: tenant.token, body: chat(2, 2) });
    expect(r.status).toBe(200);
    const q = new URLSearchParams({
      from: new Date(Date.now() - 60_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
    });
    const usage = await (await broker.call(`/v1/usage?${q}`, { key: tenant.token })).json();
    expect(usage.tenants).toMatchObject([{ tenant: tenant.id, requests: 1, total_tokens: 4 }]);
    for (const key of [ADMIN_TOKEN, 'vmp_not-a-real-token-000000']) {
      const denied = await broker.call('/v1/chat/completions', { key, body: chat(1, 1) });
      expect(denied.status).toBe(401);
      expect((await denied.json()).error.code).toBe('invalid_api_key');
    }
  });

  it('a cached answer lasts the cache time; then an unreachable coordinator is 503, never a pass', async () => {
    expect((await broker.call('/v1/chat/completions', { key: tenant.token, body: chat(1, 1) })).status).toBe(
      200,
    );
    await coord.kill();
    // within the cache time the answer still holds
    expect((await broker.call('/v1/chat/completions', { key: tenant.token, body: chat(1, 1) })).status).toBe(
      200,
    );
    await new Promise((r) => setTimeout(r, 800));
    const r = await broker.call('/v1/chat/completions', { key: tenant.token, body: chat(1, 1) });
    expect(r.status).toBe(503);
    expect((await r.json()).error.code).toBe('introspection_unavailable');
  });
});
