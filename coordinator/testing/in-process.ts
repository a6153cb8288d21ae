import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../shared/log.js';
import { createCoordinator } from '../assemble.js';
import { AuditLog } from '../audit/index.js';
import { parseBandConfig } from '../bands/index.js';
import type { Core } from '../core.js';
import type { EventBus } from '../events/bus.js';
import { AGENT_PATH } from '../link/server.js';
import { Cordons } from '../nodes/cordons.js';
import { DEFAULT_PLACEMENT_CONFIG } from '../placement/types.js';
import type { NodeRegistry } from '../registry/registry.js';
import { MemoryStore } from '../store/index.js';
import { WebhookBook } from '../webhooks/book.js';

/** ADMIN_TOKEN and JOIN_TOKEN are the in-process coordinator's secrets. */
export const ADMIN_TOKEN = 'admin-token-for-unit-tests';
export const JOIN_TOKEN = 'join-token-for-unit-tests';

/** vmBody is a small POST /v1/vms body on the `debian` image every test hello offers. */
export function vmBody(name: string): Record<string, unknown> {
  return { name, vcpu_count: 2, memory_mb: 1024, disk_size_gb: 10, image: 'debian' };
}

/** InProcess is a wired coordinator: the real app (called in-process) and agent link (a real socket). */
export interface InProcess extends Core {
  bus: EventBus;
  registry: NodeRegistry;
  store: MemoryStore;
  audit: AuditLog;
  /** agentUrl is the ws:// address agents dial */
  agentUrl: string;
  call(
    method: string,
    path: string,
    o?: { token?: string; body?: unknown },
  ): Promise<{ status: number; body: ReturnType<typeof JSON.parse> }>;
  tenant(name: string): Promise<{ id: string; token: string }>;
  close(): Promise<void>;
}

/** startInProcess builds the coordinator (createCoordinator) on a memory store and listens for agents on loopback. */
export async function startInProcess(opts: { spawnTimeoutMs?: number } = {}): Promise<InProcess> {
  const log = createLogger({ component: 'coordinator', level: 'error', sink: () => undefined });
  const store = new MemoryStore();
  const dir = await mkdtemp(join(tmpdir(), 'vmpool-inproc-'));
  const audit = await AuditLog.open(join(dir, 'audit.log'), { key: randomBytes(32) });
  const c = await createCoordinator({
    log,
    store,
    audit,
    bands: parseBandConfig({ bands: [{ name: 'default', from: 100, to: 199 }], default_band: 'default' }),
    placement: DEFAULT_PLACEMENT_CONFIG,
    cordons: await Cordons.open(null),
    webhookBook: await WebhookBook.open(join(dir, 'webhooks.json')),
    joinToken: JOIN_TOKEN,
    adminToken: ADMIN_TOKEN,
    ...opts,
  });
  const { app, bus, registry } = c;
  const core: Core = {
    claims: c.claims,
    placer: c.placer,
    spawner: c.spawner,
    vms: c.vms,
    link: c.link,
    identity: c.identity,
    notices: c.notices,
  };
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  core.link.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const call: InProcess['call'] = async (method, path, o = {}) => {
    const res = await app.request(path, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${o.token ?? ADMIN_TOKEN}` },
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    ...core,
    bus,
    registry,
    store,
    audit,
    agentUrl: `ws://127.0.0.1:${(server.address() as AddressInfo).port}${AGENT_PATH}`,
    call,
    tenant: async (name) =>
      (
        await call('POST', '/v1/tenants', {
          body: { name, quota: { vcpus: 64, memory_mb: 262_144, vms: 10 } },
        })
      ).body,
    close: async () => {
      await c.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await audit.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
