import { z } from 'zod';
import { BooleanQuerySchema, IdParamSchema } from './query.js';

/** NumaFree is one NUMA node's free threads, free memory and shared-CPU load in a NodeRow. */
export interface NumaFree {
  numa_node: number;
  threads_total: number;
  threads_host_reserved: number;
  threads_free: number;
  memory_mb: number;
  memory_free_mb: number;
  shared_vcpus_used: number;
  shared_vcpus_capacity: number;
}

/** NodeRow is one line of GET /v1/nodes (the seed-001 allocation table). */
export interface NodeRow {
  id: string;
  state: string;
  reserved: boolean;
  kvm: boolean;
  vms: string[];
  vcpu_used: number;
  vcpu_total: number;
  ram_used_mb: number;
  ram_total_mb: number;
  vcpu_available: number;
  ram_available_mb: number;
  over_allocated: boolean;
  /** last_seen is the node's last hello or heartbeat (ISO time) */
  last_seen: string;
  numa: NumaFree[];
}

/** NodeList is GET /v1/nodes. */
export interface NodeList {
  nodes: NodeRow[];
}

/** NodeThread is one host thread in GET /v1/nodes/{id}, with the VMs pinned to it. */
export interface NodeThread {
  id: number;
  core_id: number;
  socket_id: number;
  siblings: number[];
  host_reserved: boolean;
  vms: string[];
}

/** NodeDetail is GET /v1/nodes/{id}: the allocation row plus topology and the thread map. */
export interface NodeDetail extends NodeRow {
  hostname: string;
  cpu_model: string;
  heartbeat_interval_ms: number;
  numa_nodes: { id: number; memory_mb: number; threads: NodeThread[] }[];
  /** tuning is the node's seed-003 host tuning checks from its hello; ok null = not applicable */
  tuning: NodeTuningCheck[];
}

/** NodeTuningCheck is one host tuning check as the agent read it. */
export interface NodeTuningCheck {
  name: string;
  value: string | null;
  recommended: string;
  ok: boolean | null;
  note: string;
}

/** NodeIdParamSchema is the `{id}` of /v1/nodes/{id}. */
export const NodeIdParamSchema = z.strictObject({ id: IdParamSchema });

/** BandRow is one line of GET /v1/vmid-bands (the seed-000 usage summary). */
export interface BandRow {
  name: string;
  title?: string;
  from: number;
  to: number;
  total: number;
  used: number;
  available: number;
  percent_used: number;
}

/** BandList is GET /v1/vmid-bands. */
export interface BandList {
  bands: BandRow[];
}

/** NodeRemoveQuerySchema is DELETE /v1/nodes/{id}: `purge=true` also forgets the node's VM records. */
export const NodeRemoveQuerySchema = z.strictObject({ purge: BooleanQuerySchema.default(false) });

/** JoinTokenRotateSchema is the (optional) body of POST /v1/join-token: how long the old token still enrols. */
export const JoinTokenRotateSchema = z.strictObject({
  grace_seconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .default(0),
});

/** JoinTokenRotated is POST /v1/join-token: the new join token, shown once, and the old one's end. */
export interface JoinTokenRotated {
  join_token: string;
  /** old_token_valid_until is when the replaced join token stops enrolling (now, without a grace) */
  old_token_valid_until: string;
}
