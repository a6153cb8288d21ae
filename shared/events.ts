import { z } from 'zod';

/**
 * Typed, versioned state-change events. The coordinator's claim book (VM records) and node
 * registry (nodes) are the only emitters; the audit log, the logs and later the event stream,
 * webhooks and metrics subscribe. `v` changes only when a field's meaning changes.
 */

/** EVENT_VERSION is the schema version every event carries as `v`. */
export const EVENT_VERSION = 1;

const base = {
  v: z.literal(EVENT_VERSION),
  /** seq orders events within one coordinator process, starting at 1 */
  seq: z.number().int().positive(),
  ts: z.iso.datetime(),
};

const vmIds = {
  vm_id: z.string(),
  vmid: z.number().int().nonnegative(),
  tenant_id: z.string(),
  name: z.string(),
  node_id: z.string().nullable(),
  /** request_id links the event to the API call or agent request that caused it */
  request_id: z.string().optional(),
};

const vmEvent = <T extends string, S extends z.ZodRawShape>(type: T, extra: S) =>
  z.strictObject({ type: z.literal(type), ...base, ...vmIds, ...extra });

const nodeEvent = <T extends string, S extends z.ZodRawShape>(type: T, extra: S) =>
  z.strictObject({ type: z.literal(type), ...base, node_id: z.string(), ...extra });

/** EventSchema is every state-change event, discriminated by `type`. */
export const EventSchema = z.discriminatedUnion('type', [
  /** the VM's record, VMID and name are durably held; `source` is who asked */
  vmEvent('vm.claimed', { source: z.string() }),
  /** placement chose a node; `seed` replays the tie-break, `attempt` counts re-placements */
  vmEvent('vm.placed', {
    numa_node: z.number().int(),
    pass: z.number().int(),
    seed: z.number().int(),
    attempt: z.number().int().positive(),
  }),
  /** the spawn message left for the node */
  vmEvent('vm.spawning', { attempt: z.number().int().positive() }),
  /** the VM runs: the node answered the spawn (`via: spawn`) or reported it (`via: report`) */
  vmEvent('vm.running', { via: z.enum(['spawn', 'report']) }),
  /** the spawn failed for good with a stable code; a vm.released follows */
  vmEvent('vm.failed', { code: z.string() }),
  /** a claim that never ran was given up: record, VMID and idempotency key are free again */
  vmEvent('vm.released', { reason: z.enum(['spawn_failed', 'node_report']) }),
  /** a node reported another state (stopped, paused, failed, …) for a VM it runs; `reason` says why a paused one is */
  vmEvent('vm.reported', { state: z.string(), reason: z.string().optional() }),
  /** the VM was destroyed on its node and forgotten */
  vmEvent('vm.destroyed', { source: z.string(), keep_disk: z.boolean() }),
  /** an operator stopped, started or rebooted the VM; `state` is what its node reported after */
  vmEvent('vm.power', { op: z.enum(['stop', 'start', 'reboot']), state: z.string(), source: z.string() }),
  /** an operator resized the stopped VM; its claim now holds the new pins, memory and disk */
  vmEvent('vm.resized', {
    vcpu_count: z.number().int().positive(),
    memory_mb: z.number().int().positive(),
    disk_size_gb: z.number().int().positive(),
    numa_node: z.number().int(),
    source: z.string(),
  }),
  /** the guest's readiness changed: booting, ready (guest agent up, cloud-init done) or unready (`code`) */
  vmEvent('vm.guest', { state: z.enum(['booting', 'ready', 'unready']), code: z.string().optional() }),
  /** the VM's node came back without it */
  vmEvent('vm.lost', {}),
  /** a node reported a VM the coordinator never created; it now belongs to the admin-only tenant */
  vmEvent('vm.adopted', {}),
  /** a tenant's create or resize was refused by its quota; nothing was claimed (emitted by events/notices) */
  z.strictObject({
    type: z.literal('quota.rejected'),
    ...base,
    /** node_id is null: nothing was placed (every event carries node_id for filters) */
    node_id: z.null(),
    tenant_id: z.string(),
    resource: z.string(),
    limit: z.number(),
    used: z.number(),
    requested: z.number(),
    request_id: z.string().optional(),
  }),
  /** GET /v1/audit/verify found the audit chain broken at `line` (emitted by events/notices) */
  z.strictObject({
    type: z.literal('audit.verify_failed'),
    ...base,
    node_id: z.null(),
    line: z.number().int(),
    reason: z.string(),
  }),
  /** a node id connected for the first time in this process */
  nodeEvent('node.joined', { vms: z.number().int().nonnegative() }),
  /** a known node connected again, or beat again after being down */
  nodeEvent('node.up', {}),
  /**
   * a node stayed silent past its bound: `silent_ms` since its last beat was read, `down_after_ms` the
   * bound, `stall_credit_ms` the coordinator's own stall not counted as the node's silence
   */
  nodeEvent('node.down', {
    silent_ms: z.number().int().nonnegative(),
    down_after_ms: z.number().int().nonnegative(),
    stall_credit_ms: z.number().int().nonnegative(),
  }),
  /** a node was forgotten by the registry */
  nodeEvent('node.removed', {}),
]);

/** CoordinatorEvent is one parsed state-change event. */
export type CoordinatorEvent = z.infer<typeof EventSchema>;

/** EventType is the closed set of event names. */
export type EventType = CoordinatorEvent['type'];

/** EventOf picks one event by its type. */
export type EventOf<T extends EventType> = Extract<CoordinatorEvent, { type: T }>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** EventInput is an event as an emitter writes it; the bus fills in `v`, `seq` and `ts`. */
export type EventInput = DistributiveOmit<CoordinatorEvent, 'v' | 'seq' | 'ts'>;
