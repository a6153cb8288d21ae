import type { GuestStatusReport, VmNetwork } from '../../shared/protocol.js';
/** VmState is the coordinator's view of a VM's lifecycle (`unknown` is shown, never stored: node down). */
export type VmState = 'creating' | 'running' | 'paused' | 'stopped' | 'failed' | 'lost' | 'unknown';

/** TenantQuota caps a tenant's total vCPUs, memory, VM count and disk (root + extra disks). */
export interface TenantQuota {
  vcpus: number;
  memory_mb: number;
  vms: number;
  /** disk_gb caps the sum of root and extra disk sizes; absent in tenants made before it existed (no cap) */
  disk_gb?: number;
}

/** TenantRecord is one tenant; only the sha256 of its bearer token is stored, never the token. */
export interface TenantRecord {
  id: string;
  name: string;
  token_hash: string;
  /** previous_token is a rotated-out token still accepted until `until` (the grace period) */
  previous_token?: { hash: string; until: string };
  quota: TenantQuota;
  created_at: string;
}

/** VmPlacement is the claim a placed VM holds on one node's threads and memory. */
export interface VmPlacement {
  numa_node: number;
  vcpu_pins: number[];
  emulator_cpuset: number[];
  memory_nodeset: string;
  cpu_policy: 'dedicated' | 'shared';
  memory_mb: number;
  vcpu_count: number;
  anti_affinity_group?: string;
  pass: number;
}

/** VmRecord is one VM; with `placement` and `node_id` set it IS the claim, cleared to release it. */
export interface VmRecord {
  id: string;
  tenant: string;
  name: string;
  vmid: number;
  band?: string;
  tags: string[];
  /** request is the validated create body, kept so a VM can be re-placed or shown as asked */
  request: unknown;
  state: VmState;
  /** state_reason says why a `paused` VM is paused (user, ioerror, watchdog, …), as its node reported */
  state_reason?: string;
  node_id: string | null;
  placement: VmPlacement | null;
  failure?: { code: string; message: string };
  /** network is the node's latest word on how to reach the VM (MAC, addresses, SSH) */
  network?: VmNetwork;
  /** guest is the node's latest word on the guest's readiness (booting, ready, unready) */
  guest?: GuestStatusReport;
  created_at: string;
  updated_at: string;
}

/** KeptDiskRecord is a destroyed VM whose disks an admin kept on its node, until removed. */
export interface KeptDiskRecord {
  /** id is the destroyed VM's id (its folder on the node is <images>/vms/<id>) */
  id: string;
  node_id: string;
  tenant: string;
  vm_name: string;
  vmid: number;
  /** disk_gb is root plus extra disks, as the VM was created */
  disk_gb: number;
  kept_at: string;
}

/** CordonRecord is why and since when a node takes no new placements (HA: kept in the shared store). */
export interface CordonRecord {
  reason: string;
  since: string;
}

/** IdempotencyRecord remembers which VM an Idempotency-Key created and the body it came with. */
export interface IdempotencyRecord {
  vm_id: string;
  request_hash: string;
  created_at: string;
}

/** NodeRecord is an enrolled node: only the sha256 of its credential is stored, never the secret. */
export interface NodeRecord {
  id: string;
  secret_hash: string;
  enrolled_at: string;
}

/** StoreState is the coordinator's whole durable state as one JSON document. */
export interface StoreState {
  version: 1;
  tenants: Record<string, TenantRecord>;
  vms: Record<string, VmRecord>;
  /** keyed by `${tenant}:${key}` so keys are per tenant */
  idempotency: Record<string, IdempotencyRecord>;
  /** nodes are the enrolled nodes' credentials (absent in documents written before enrolment existed) */
  nodes?: Record<string, NodeRecord>;
  /** join_token_hash replaces the configured join token once an admin rotated it */
  join_token_hash?: string;
  /** join_token_previous is a rotated-out join token that still enrols until `until` (the grace) */
  join_token_previous?: { hash: string; until: string };
  /** kept_disks are destroyed VMs' disks left on their nodes by keep_disk=true (admin) */
  kept_disks?: Record<string, KeptDiskRecord>;
  /** cordons by node id, under --store etcd only (a single coordinator keeps them in cordons.json) */
  cordons?: Record<string, CordonRecord>;
}

/** StoreMutator changes the draft in place, synchronously; throwing undoes all its changes. */
export type StoreMutator = (draft: StoreState) => void;

/** Store holds StoreState durably; see BatchedStore for the group-commit contract. */
export interface Store {
  /** load reads the durable state (empty state when none exists yet); call once before anything else */
  load(): Promise<StoreState>;
  /** read returns the live in-memory state, including changes not yet on disk; never mutate it */
  read(): StoreState;
  /** update applies mutator at once in memory and resolves once that change is durably on disk */
  update(mutator: StoreMutator): Promise<void>;
  /** writes counts completed durable writes (one per group-committed batch) */
  readonly writes: number;
  /**
   * watch (optional) calls fn synchronously after every in-memory change with the VM ids it touched,
   * so indexes stay up to date in O(changed); `reset` means re-read everything (load, rollback).
   * Callers must cope with a store without it (rebuild when read() returns a new root).
   */
  watch?(fn: StoreWatcher): () => void;
  /**
   * auditAlongside (optional) says a change's audit entry may be written at the same time as the
   * change instead of after it (a single-writer local store: both are durable before the answer,
   * and a crash between the two leaves at most an entry whose change never became durable). Absent:
   * the claim book writes the change, then the entry (the etcd store: one order across leaders).
   */
  readonly auditAlongside?: boolean;
}

/** StoreChange names the VM records one update touched; `reset` means any record may have changed. */
export interface StoreChange {
  readonly vms: readonly string[];
  readonly reset: boolean;
}

/** StoreWatcher sees each change with the state after it. */
export type StoreWatcher = (change: StoreChange, state: StoreState) => void;

/** emptyState is the state of a coordinator that has never stored anything. */
export function emptyState(): StoreState {
  return withBareMaps({ version: 1, tenants: {}, vms: {}, idempotency: {} });
}

/**
 * withBareMaps gives the id-keyed maps a null prototype (immer keeps it across updates), so an id
 * such as `constructor` or `toString` finds nothing and `__proto__` is an ordinary key.
 */
export function withBareMaps(state: StoreState): StoreState {
  return {
    ...state,
    tenants: bare(state.tenants),
    vms: bare(state.vms),
    idempotency: bare(state.idempotency),
  };
}

function bare<T>(map: Record<string, T>): Record<string, T> {
  if (Object.getPrototypeOf(map) === null) return map;
  const out = Object.create(null) as Record<string, T>;
  for (const [k, v] of Object.entries(map)) out[k] = v;
  return out;
}

/** idempotencyKey builds the per-tenant key of StoreState.idempotency. */
export function idempotencyKey(tenant: string, key: string): string {
  return `${tenant}:${key}`;
}
