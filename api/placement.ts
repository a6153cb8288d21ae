import { z } from 'zod';

/** PlacementDecision is where a VM would go: node, NUMA node, exact threads and memory binding. */
export interface PlacementDecision {
  node_id: string;
  numa_node: number;
  vcpu_pins: number[];
  emulator_cpuset: number[];
  memory_nodeset: string;
  memory_mode: 'strict';
  pass: 1 | 2;
  score: number;
}

/** NearMiss is a node that came close to fitting: its best NUMA node and what it lacks there. */
export interface NearMiss {
  node_id: string;
  reason: string;
  numa_node: number;
  /** cpu_room is free threads (dedicated) or free shared vCPU slots (shared) */
  cpu_room: number;
  memory_free_mb: number;
  short_vcpus: number;
  short_memory_mb: number;
}

/**
 * PassReport summarises one placement pass in a size independent of the fleet: candidate count,
 * rejections per reason, the closest misses and the largest free NUMA node. `candidates` and
 * `rejected` list every node only when asked (`?detail=nodes`) or for fleets of up to 32 nodes.
 */
export interface PassReport {
  pass: 1 | 2;
  ran: boolean;
  candidate_count: number;
  reasons: Record<string, number>;
  closest: NearMiss[];
  largest_free: { node_id: string; numa_node: number; cpu_room: number; memory_free_mb: number } | null;
  /** fits_when_empty counts considered nodes that could take the VM with nothing placed on them */
  fits_when_empty: number;
  candidates: string[];
  rejected: { node_id: string; reason: string; detail: string }[];
}

/** Shortfall says why nothing fits: no room right now, or no node of the fleet could ever take it. */
export type Shortfall = 'no_room_now' | 'never_fits';

/**
 * TenantDryRun is the dry run as a tenant sees it: whether the VM fits and one sentence why, with
 * the VMID it would get. No node ids, pins, free threads or other tenants' usage: fleet SHAPE (the
 * largest NUMA node) may be named, fleet OCCUPANCY may not.
 */
export interface TenantDryRun {
  ok: boolean;
  redacted: true;
  code?: 'no_capacity';
  shortfall?: Shortfall;
  /** reason: "fits: …", "no capacity for 8 dedicated vCPUs and 4096 MiB on one NUMA node right now", "never fits: …" */
  reason: string;
  vmid?: number;
}

/** AdminDryRun is the admin's dry run: a decision with its pass reports, or the reports alone. */
export type AdminDryRun =
  | { ok: true; decision: PlacementDecision; passes: PassReport[]; vmid?: number }
  | { ok: false; code?: 'no_capacity'; passes: PassReport[]; shortfall: Shortfall };

/** DryRunResult is POST /v1/placements/dry-run: full detail for the admin, a redacted verdict for a tenant. */
export type DryRunResult = AdminDryRun | TenantDryRun;

/** DryRunQuerySchema is the dry run's query: `detail=nodes` lists every node, `none` only the summary. */
export const DryRunQuerySchema = z.strictObject({
  detail: z.enum(['auto', 'nodes', 'none']).optional(),
});
