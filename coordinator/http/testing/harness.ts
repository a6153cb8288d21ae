/**
 * appHarness wires the real HTTP app, VM service, audit log, store and registry for in-process tests
 * (coordinator/http and vmpoolctl's). Only the agents are fakes: in-memory connections that answer
 * spawn and destroy at once (or never), because a real agent needs libvirt.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { createLogger, type Logger } from '../../../shared/log.js';
import type { CoordinatorMessage, Hello, VmReport } from '../../../shared/protocol.js';
import { createCoordinator } from '../../assemble.js';
import { AuditLog } from '../../audit/index.js';
import { parseBandConfig } from '../../bands/index.js';
import { Cordons } from '../../nodes/cordons.js';
import { DEFAULT_PLACEMENT_CONFIG } from '../../placement/types.js';
import { helloFor } from '../../registry/testing.js';
import { MemoryStore, type Store } from '../../store/index.js';
import { WebhookBook } from '../../webhooks/book.js';
import type { DeliveryOptions } from '../../webhooks/dispatcher.js';

/** HARNESS_ADMIN_TOKEN is the admin bearer token of every harness. */
export const HARNESS_ADMIN_TOKEN = 'admin-token-for-unit-tests';

/** AgentReply is how a fake node answers a spawn or destroy; null means it never answers. */
export type AgentReply = (
  m: Extract<CoordinatorMessage, { type: 'spawn' | 'destroy' | 'remove_disks' | 'resize' }>,
) => {
  ok: boolean;
  error?: { code: string; message: string };
} | null;

/** HarnessOptions swaps the store (default: in memory), the logger and the spawn timeout. */
export interface HarnessOptions {
  store?: Store;
  log?: Logger;
  spawnTimeoutMs?: number;
  bands?: { name: string; title?: string; from: number; to: number; name_pattern?: string }[];
  /** ringSize bounds the event ring (default 10 000) */
  ringSize?: number;
  /** webhookPath is the webhook file (default: a fresh temp file); share it to simulate a restart */
  webhookPath?: string;
  delivery?: Partial<DeliveryOptions>;
  /** power is how fake nodes answer stop/start/reboot (default: ok) */
  power?: (m: Extract<CoordinatorMessage, { type: 'power' }>) => {
    ok: boolean;
    error?: { code: string; message: string };
  } | null;
  /** now is the webhook notifier's clock (a restarted coordinator a while later) */
  now?: () => number;
}

/**
 * appHarness builds the app; `call` sends one request, `addNode` connects a fake agent. Its temp
 * dir (audit log, webhook file) is removed by close(), run by itself when the test that built the
 * harness (in its body or a beforeEach) finishes.
 */
export async function appHarness(o: HarnessOptions = {}) {
  const log = o.log ?? createLogger({ component: 'coordinator', level: 'error', sink: () => undefined });
  const dir = await mkdtemp(join(tmpdir(), 'vmpool-app-'));
  const auditPath = join(dir, 'audit.log');
  const audit = await AuditLog.open(auditPath, { key: randomBytes(32) });
  const c = await createCoordinator({
    log,
    store: o.store ?? new MemoryStore(),
    audit,
    bands: parseBandConfig({
      bands: o.bands ?? [{ name: 'default', from: 100, to: 101 }],
      default_band: o.bands?.[0]?.name ?? 'default',
    }),
    placement: DEFAULT_PLACEMENT_CONFIG,
    cordons: await Cordons.open(null),
    webhookBook: await WebhookBook.open(o.webhookPath ?? join(dir, 'webhooks.json')),
    delivery: o.delivery ?? {},
    joinToken: 'j'.repeat(20),
    adminToken: HARNESS_ADMIN_TOKEN,
    ...(o.ringSize !== undefined ? { ringSize: o.ringSize } : {}),
    ...(o.spawnTimeoutMs !== undefined ? { spawnTimeoutMs: o.spawnTimeoutMs } : {}),
  });
  const { app, store, registry, link, bus, events, vms, claims, metrics, webhooks, identity, unauthTally } =
    c;
  let closed: Promise<void> | undefined;
  /** close stops the coordinator, closes the audit log and removes the temp dir (idempotent). */
  const close = () => {
    closed ??= c
      .stop()
      .then(() => audit.close())
      .catch(() => undefined)
      .then(() => rm(dir, { recursive: true, force: true }));
    return closed;
  };
  try {
    onTestFinished(close);
  } catch {
    // built outside a test (beforeAll, a script): the caller runs close()
  }
  const sent: CoordinatorMessage[] = [];
  const addNode = (id: string, reply: AgentReply = () => ({ ok: true }), hello: Hello = helloFor(id)) => {
    registry.connect(
      hello,
      {
        send: (m) => {
          sent.push(m);
          if (m.type === 'power')
            queueMicrotask(() => {
              const r = (o.power ?? (() => ({ ok: true })))(m);
              const state = m.op === 'stop' ? 'stopped' : 'running';
              // the fake agent reports only the state; the power path reads nothing else
              if (r) link.answer(m.request_id, id, r.ok ? { ok: true, vm: { state } as VmReport } : r);
            });
          if (m.type === 'spawn' || m.type === 'destroy' || m.type === 'remove_disks' || m.type === 'resize')
            queueMicrotask(() => {
              const r = reply(m);
              if (r) link.answer(m.request_id, id, r);
            });
        },
        close: () => undefined,
      },
      Date.now(),
    );
  };
  const call = async (
    method: string,
    path: string,
    c: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...c.headers };
    if (c.token !== null) headers.authorization = `Bearer ${c.token ?? HARNESS_ADMIN_TOKEN}`;
    const res = await app.request(path, {
      method,
      headers,
      ...(c.body !== undefined ? { body: typeof c.body === 'string' ? c.body : JSON.stringify(c.body) } : {}),
    });
    const text = await res.text();
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      body: text ? JSON.parse(text) : null,
    };
  };
  const tenant = async (name: string, quota = { vcpus: 64, memory_mb: 262_144, vms: 10 }) => {
    const r = await call('POST', '/v1/tenants', { body: { name, quota } });
    return r.body as { id: string; token: string };
  };
  return {
    app,
    store,
    registry,
    call,
    tenant,
    addNode,
    sent,
    auditPath,
    audit,
    link,
    bus,
    events,
    vms,
    claims,
    metrics,
    webhooks,
    identity,
    unauthTally,
    close,
  };
}

/** AppHarness is what appHarness resolves to. */
export type AppHarness = Awaited<ReturnType<typeof appHarness>>;
