import { Registry as PromRegistry } from 'prom-client';
import type { Logger } from '../shared/log.js';
import type { AuditJournal } from './audit/index.js';
import type { BandConfig } from './bands/index.js';
import { type Core, createCore } from './core.js';
import { EventBus } from './events/bus.js';
import { EventRing } from './events/ring.js';
import type { EtcdBackend } from './ha/backend.js';
import { createApp } from './http/app.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import type { RateLimitOptions } from './http/rate-limit.js';
import { UnauthTally } from './http/unauth-tally.js';
import type { Cordons } from './nodes/cordons.js';
import { metricsCollect, startObserving } from './observe.js';
import type { PlacementConfig } from './placement/types.js';
import { NodeRegistry, type NodeRegistryOptions } from './registry/registry.js';
import { startSweep } from './registry/sweeper.js';
import type { Store } from './store/index.js';
import { hashToken } from './tenants/index.js';
import type { VmService } from './vms/service.js';
import type { WebhookBook } from './webhooks/book.js';
import { type DeliveryOptions, Webhooks } from './webhooks/dispatcher.js';

/**
 * CoordinatorDeps are everything the coordinator's object graph is built from. main.ts fills them
 * from the config and the data dir; the test harnesses from memory stores and temp files.
 */
export interface CoordinatorDeps {
  log: Logger;
  /** store is loaded here (LowdbStore, MemoryStore, or the HA backend's EtcdStore) */
  store: Store;
  /** audit is the file log or the HA backend's etcd log; verify() backs GET /v1/audit/verify */
  audit: AuditJournal & { verify(): Promise<unknown> };
  bands: BandConfig;
  placement: PlacementConfig;
  cordons: Cordons;
  webhookBook: WebhookBook;
  delivery?: Partial<DeliveryOptions>;
  joinToken: string;
  adminToken: string;
  /** brokerToken lets vmpool-broker introspect tokens (absent: no broker) */
  brokerToken?: string;
  /** startSeq is the first event seq (a restart continues after the reserved mark) */
  startSeq?: number;
  /** ringSize bounds the event ring (default 10 000) */
  ringSize?: number;
  liveness?: NodeRegistryOptions['liveness'];
  maxMessageBytes?: number;
  spawnTimeoutMs?: number;
  /** rateLimit bounds requests per token (absent: unlimited) */
  rateLimit?: RateLimitOptions;
  /** promRegistry receives the metrics (default: a private one) */
  promRegistry?: PromRegistry;
  /** sweepMs is how often start() sweeps for down nodes (absent: start() runs no sweep) */
  sweepMs?: number;
  /** statusLine keeps systemd's STATUS= current (a process concern: main only) */
  statusLine?: boolean;
  /** ha is the etcd backend when coordinators share state (absent: single node) */
  ha?: { backend: EtcdBackend; timeoutMs: number };
  /** now is the sweep's clock (default Date.now) */
  now?: () => number;
}

/** Coordinator is the wired coordinator: the HTTP app, the agent link and everything behind them. */
export interface Coordinator extends Core {
  app: ReturnType<typeof createApp>;
  store: Store;
  registry: NodeRegistry;
  bus: EventBus;
  events: EventRing;
  webhooks: Webhooks;
  metrics: Metrics;
  unauthTally: UnauthTally;
  /** start begins the down-node sweep and, under HA, the election; call it once the server listens */
  start(): void;
  /** stop ends timers, webhooks, the agent link and the election, and flushes the unauthenticated tally */
  stop(): Promise<void>;
}

/** createCoordinator builds store → registry → core → app with events, audit, webhooks, metrics and HA. */
export async function createCoordinator(d: CoordinatorDeps): Promise<Coordinator> {
  const { log, store, audit, ha } = d;
  await store.load();
  const bus = new EventBus({ log, ...(d.startSeq !== undefined ? { startSeq: d.startSeq } : {}) });
  const events = new EventRing(bus, d.ringSize);
  const webhooks = new Webhooks({ book: d.webhookBook, bus, log, delivery: d.delivery ?? {} });
  const registry = new NodeRegistry({ bus, ...(d.liveness ? { liveness: d.liveness } : {}) });
  let service: VmService | undefined;
  const fleet = { registry, store, overcommit: d.placement.cpu_overcommit, vms: () => service! };
  const metrics = createMetrics({ ...metricsCollect(fleet), registry: d.promRegistry ?? new PromRegistry() });
  const core = createCore({
    cordoned: () => d.cordons.ids(),
    store,
    registry,
    bus,
    audit,
    bands: d.bands,
    placement: d.placement,
    log,
    joinToken: d.joinToken,
    ...(d.maxMessageBytes !== undefined ? { maxMessageBytes: d.maxMessageBytes } : {}),
    ...(d.spawnTimeoutMs !== undefined ? { spawnTimeoutMs: d.spawnTimeoutMs } : {}),
    onHeartbeat: () => metrics.heartbeats.inc(),
    onHeartbeatHandled: (seconds) => metrics.heartbeatSeconds.observe(seconds),
    ...(ha ? { linkRedirect: () => ha.backend.ha.redirect() } : {}),
    onPlacement: (seconds, ok) => {
      metrics.placementSeconds.observe({ result: ok ? 'placed' : 'no_capacity' }, seconds);
      if (!ok) metrics.placements.inc({ pass: '0', result: 'no_capacity' });
    },
  });
  service = core.vms;
  const stopObserving = startObserving(bus, metrics, fleet, { status: d.statusLine ?? false });
  const unauthTally = new UnauthTally(audit, log);
  const app = createApp({
    unauthTally,
    store,
    registry,
    vms: core.vms,
    audit,
    verifyAudit: () => audit.verify(),
    notices: core.notices,
    events,
    webhooks,
    cordons: d.cordons,
    placer: core.placer,
    bands: d.bands,
    adminTokenHash: hashToken(d.adminToken),
    ...(d.brokerToken ? { brokerTokenHash: hashToken(d.brokerToken) } : {}),
    overcommit: d.placement.cpu_overcommit,
    metrics,
    log,
    ...(ha
      ? {
          cluster: {
            ha: ha.backend.ha,
            etcd: ha.backend.client,
            view: ha.backend.store,
            log,
            timeoutMs: ha.timeoutMs,
          },
        }
      : {}),
    nodes: { identity: core.identity, registry, claims: core.claims, audit },
    ...(d.rateLimit ? { rateLimit: d.rateLimit } : {}),
  });
  let stopSweep = () => {};
  const start = () => {
    if (d.sweepMs !== undefined)
      stopSweep = startSweep(registry, {
        everyMs: d.sweepMs,
        now: d.now ?? Date.now,
        after: () => retuneLogged(registry, log),
      });
    ha?.backend.ha.start(haParts(ha.backend, core, store, registry));
  };
  const stop = async () => {
    stopSweep();
    stopObserving();
    core.link.close();
    void ha?.backend.close().catch(() => undefined); // resign: a follower takes over without waiting out the lease
    const saved = webhooks.stop().catch((err) => log.error('webhook book save failed', { err }));
    await Promise.all([saved, unauthTally.flush()]);
  };
  return { ...core, app, store, registry, bus, events, webhooks, metrics, unauthTally, start, stop };
}

/** retuneLogged hands out a new heartbeat interval if the fleet size moved it, and logs it. */
function retuneLogged(registry: NodeRegistry, log: Logger): void {
  const retuned = registry.retune();
  if (retuned.length)
    log.info('heartbeat interval changed', {
      nodes: retuned.length,
      interval_ms: registry.get(retuned[0]!)?.intervalMs,
    });
}

/** haParts is what the election drives: the store's leader/follower mode and the agent links. */
function haParts(backend: EtcdBackend, core: Core, store: Store, registry: NodeRegistry) {
  return {
    lead: async () => {
      await backend.store.lead();
    },
    follow: async () => {
      core.link.dropAll('coordinator is not the leader');
      await backend.store.follow();
    },
    nodesWithVms: () => [
      ...new Set(Object.values(store.read().vms).flatMap((v) => (v.node_id ? [v.node_id] : []))),
    ],
    nodeConnected: (id: string) => registry.get(id)?.state === 'ready',
  };
}
