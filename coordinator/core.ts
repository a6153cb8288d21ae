import { VmIndex } from './claims/vm-index.js';
import { VmOrder } from './vms/vm-order.js';
import type { Logger } from '../shared/log.js';
import type { AuditJournal } from './audit/index.js';
import type { BandConfig } from './bands/index.js';
import { ClaimBook } from './claims/claim-book.js';
import { auditEvents } from './events/audit-subscriber.js';
import type { EventBus } from './events/bus.js';
import { Notices } from './events/notices.js';
import { logEvents } from './events/log-subscriber.js';
import { NodeIdentity } from './link/identity.js';
import { AgentLinkServer } from './link/server.js';
import type { PlacementConfig } from './placement/types.js';
import { Placer } from './placer/placer.js';
import type { NodeRegistry } from './registry/registry.js';
import type { Store } from './store/index.js';
import { hashToken } from './tenants/tokens.js';
import { VmService } from './vms/service.js';
import { Spawner } from './vms/spawner.js';

/** CoreOptions are the parts main (or a test) builds first: durable state, the fleet, the bus. */
export interface CoreOptions {
  store: Store;
  registry: NodeRegistry;
  bus: EventBus;
  audit: AuditJournal;
  bands: BandConfig;
  placement: PlacementConfig;
  log: Logger;
  joinToken: string;
  /** maxMessageBytes bounds one agent message (default 4 MiB) */
  maxMessageBytes?: number;
  spawnTimeoutMs?: number;
  maxAttempts?: number;
  /** cordoned lists nodes closed to new placements */
  cordoned?: () => ReadonlySet<string>;
  /** onHeartbeat runs after a heartbeat is recorded (metrics) */
  onHeartbeat?: () => void;
  /** onHeartbeatHandled gets each heartbeat's synchronous handling time in seconds (metrics) */
  onHeartbeatHandled?: (seconds: number) => void;
  /** linkRedirect refuses agents while this coordinator is not the HA leader (see AgentLinkServer) */
  linkRedirect?: () => string | null;
  /** onPlacement receives each admission placement's duration and outcome (metrics) */
  onPlacement?: (seconds: number, ok: boolean) => void;
}

/** Core is the wired coordinator: http → vms → {spawner, placer, claims} → {store, registry, link}. */
export interface Core {
  claims: ClaimBook;
  placer: Placer;
  spawner: Spawner;
  vms: VmService;
  link: AgentLinkServer;
  /** identity binds node ids to their credentials (enrolment, removal, join token rotation) */
  identity: NodeIdentity;
  /** notices emits quota refusals and audit-verify failures (events that change no record) */
  notices: Notices;
}

/** createCore wires the claim book, placer, spawner, service and agent link, and subscribes audit and logs. */
export function createCore(o: CoreOptions): Core {
  auditEvents(o.bus, o.audit);
  logEvents(o.bus, o.log);
  const vmIndex = new VmIndex(o.store);
  const claims = new ClaimBook({ store: o.store, bus: o.bus, vms: vmIndex });
  const identity = new NodeIdentity(o.store, hashToken(o.joinToken));
  const settle = (nodeId: string, reports: Parameters<ClaimBook['reconcile']>[1], key?: string) =>
    void claims
      .reconcile({ id: nodeId }, reports, key)
      .catch((err) => o.log.error('reconcile failed', { node_id: nodeId, err }));
  const link = new AgentLinkServer(
    o.registry,
    {
      onHello: (entry) => settle(entry.id, entry.hello.vms, entry.reported.digest ?? undefined),
      onHeartbeat: (entry, vms, key) => {
        o.onHeartbeat?.();
        // most beats change nothing: skip reconcile's promise (10,000 a second at 10,000 agents)
        if (key !== undefined && claims.unchanged(entry.id, key)) return;
        settle(entry.id, vms, key);
      },
    },
    {
      identity,
      log: o.log,
      ...(o.linkRedirect ? { redirect: o.linkRedirect } : {}),
      ...(o.maxMessageBytes !== undefined ? { maxMessageBytes: o.maxMessageBytes } : {}),
      ...(o.onHeartbeatHandled ? { onHeartbeatHandled: o.onHeartbeatHandled } : {}),
    },
  );
  const placer = new Placer({
    registry: o.registry,
    store: o.store,
    placement: o.placement,
    vms: vmIndex,
    ...(o.cordoned ? { cordoned: o.cordoned } : {}),
  });
  const spawner = new Spawner({
    claims,
    placer,
    link,
    log: o.log,
    ...(o.spawnTimeoutMs !== undefined ? { spawnTimeoutMs: o.spawnTimeoutMs } : {}),
    ...(o.maxAttempts !== undefined ? { maxAttempts: o.maxAttempts } : {}),
  });
  const notices = new Notices(o.bus);
  const vms = new VmService({
    notices,
    claims,
    placer,
    spawner,
    bands: o.bands,
    vms: vmIndex,
    order: new VmOrder(o.store),
    log: o.log,
    ...(o.onPlacement ? { onPlacement: o.onPlacement } : {}),
  });
  return { claims, placer, spawner, vms, link, identity, notices };
}
