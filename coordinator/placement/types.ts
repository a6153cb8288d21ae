import type { HostTopology } from '../../shared/topology.js';

/** CpuPolicy says whether a VM owns its host threads (dedicated) or shares them with overcommit. */
export type CpuPolicy = 'dedicated' | 'shared';

/** Allocation is one VM (or claim) holding threads and memory on one NUMA node of a node. */
export interface Allocation {
  readonly vm_id: string;
  readonly numa_node: number;
  /** pins holds one host thread per vCPU; shared VMs may repeat a thread other VMs also use */
  readonly pins: readonly number[];
  readonly memory_mb: number;
  readonly cpu_policy: CpuPolicy;
  readonly anti_affinity_group?: string | undefined;
}

/** PlacementNode is the registry's view of one host; treat it as immutable (replace, never mutate). */
export interface PlacementNode {
  readonly id: string;
  readonly alive: boolean;
  readonly reserved: boolean;
  readonly kvm: boolean;
  readonly topology: HostTopology;
  /** host_reserved_cpus are the host + emulator threads (seed: cores 16-17 of each socket) */
  readonly host_reserved_cpus: readonly number[];
  /** host_reserved_memory_mb is kept for the host on every NUMA node (default 0) */
  readonly host_reserved_memory_mb?: number | undefined;
  readonly allocations: readonly Allocation[];
  /** images are the base images the node can boot from; undefined means any */
  readonly images?: readonly string[] | undefined;
}

/** PlacementRequest is what placement needs to know about one VM. */
export interface PlacementRequest {
  readonly vm_id: string;
  readonly vcpu_count: number;
  readonly memory_mb: number;
  readonly cpu_policy: CpuPolicy;
  readonly requires_kvm: boolean;
  /** allow_reserved false means pass 2 (reserved nodes) never runs */
  readonly allow_reserved: boolean;
  readonly anti_affinity_group?: string | undefined;
  /** image is the base image the VM boots from; nodes without it are rejected with image_missing */
  readonly image?: string | undefined;
}

/** PlacementConfig tunes ranking and shared-CPU overcommit; seed makes tie-breaks replayable. */
export interface PlacementConfig {
  readonly ranking: 'pack' | 'spread';
  /** cpu_overcommit is how many shared vCPUs one shared host thread carries */
  readonly cpu_overcommit: number;
  readonly seed: number;
}

/** DEFAULT_PLACEMENT_CONFIG packs, overcommits shared threads 4:1 and uses seed 0. */
export const DEFAULT_PLACEMENT_CONFIG: PlacementConfig = { ranking: 'pack', cpu_overcommit: 4, seed: 0 };

/** Decision is where one VM goes: node, NUMA node, exact threads and memory binding. */
export interface Decision {
  readonly node_id: string;
  readonly numa_node: number;
  readonly vcpu_pins: number[];
  readonly emulator_cpuset: number[];
  readonly memory_nodeset: string;
  readonly memory_mode: 'strict';
  readonly pass: 1 | 2;
  /** score is the free threads the node has left after this placement; pack picks low, spread high */
  readonly score: number;
}

/** REASON_CODES is the fixed set of reasons a feasibility check rejects a node for. */
export const REASON_CODES = [
  'node_down',
  'reserved_node',
  'kvm_required',
  'image_missing',
  'capacity_vcpu',
  'capacity_memory',
  'numa_cpu_fit',
  'numa_memory_fit',
  'anti_affinity',
  /** the admin cordoned the node: no new placements (PlacementOptions.cordoned) */
  'cordoned',
] as const;

/** ReasonCode is one of REASON_CODES. */
export type ReasonCode = (typeof REASON_CODES)[number];

/** Rejection is why one check turned a node down, with a human detail. */
export interface Rejection {
  readonly reason: ReasonCode;
  readonly detail: string;
}

/** NearMiss is one node that came close to fitting: its best NUMA node and what it lacks there. */
export interface NearMiss {
  readonly node_id: string;
  readonly reason: ReasonCode;
  readonly numa_node: number;
  /** cpu_room is dedicated free threads, or free shared vCPU slots for a shared request */
  readonly cpu_room: number;
  readonly memory_free_mb: number;
  readonly short_vcpus: number;
  readonly short_memory_mb: number;
}

/** LargestFree is the NUMA node with the most room of the request's kind among the pass's live nodes. */
export interface LargestFree {
  readonly node_id: string;
  readonly numa_node: number;
  readonly cpu_room: number;
  readonly memory_free_mb: number;
}

/**
 * PassReport says whether a pass ran and summarises it in a size independent of the fleet: how
 * many nodes were candidates, rejection counts per reason, the few nodes closest to fitting and the
 * largest free NUMA node. `candidates` and `rejected` list every node only when detail was asked
 * for (see PlacementOptions.detail); otherwise they are empty.
 */
export interface PassReport {
  pass: 1 | 2;
  ran: boolean;
  candidate_count: number;
  reasons: Partial<Record<ReasonCode, number>>;
  closest: NearMiss[];
  largest_free: LargestFree | null;
  /** fits_when_empty counts considered nodes that would take the request with nothing placed on them */
  fits_when_empty: number;
  candidates: string[];
  rejected: { node_id: string; reason: ReasonCode; detail: string }[];
}

/** Shortfall says why nothing fits: nothing free right now, or no node of the fleet could ever take it. */
export type Shortfall = 'no_room_now' | 'never_fits';

/** PlacementResult is a decision with its pass reports, or the reports alone when nothing fits. */
export type PlacementResult =
  | { ok: true; decision: Decision; passes: PassReport[] }
  | { ok: false; passes: PassReport[]; shortfall: Shortfall };

/** PlacementOptions: `detail` lists every node per pass ('nodes'), never ('none') or for small fleets ('auto'). */
export interface PlacementOptions {
  readonly detail?: 'auto' | 'nodes' | 'none';
  /** explain builds the pass summaries on success too (dry runs); failures always explain */
  readonly explain?: boolean;
  /** exclude are nodes treated as down for this decision (they already refused the VM) */
  readonly exclude?: ReadonlySet<string>;
  /** cordoned are nodes the admin closed to new placements: rejected with reason `cordoned` */
  readonly cordoned?: ReadonlySet<string>;
}

/** DETAIL_AUTO_MAX_NODES is the fleet size up to which 'auto' detail lists every node. */
export const DETAIL_AUTO_MAX_NODES = 32;

/** NumaView is one NUMA node's free resources, derived from the node's allocations. */
export interface NumaView {
  readonly id: number;
  /** threads are the node's online threads, sorted */
  readonly threads: readonly number[];
  /** reservedCount counts this NUMA node's host-reserved threads */
  readonly reservedCount: number;
  /** freeCount counts threads neither host-reserved nor pinned by any allocation */
  readonly freeCount: number;
  /** loadedShared counts threads carrying shared vCPUs and no dedicated pin */
  readonly loadedShared: number;
  /** sharedVcpus counts shared vCPU pins on this NUMA node's threads */
  readonly sharedVcpus: number;
  readonly memoryFreeMb: number;
}

/** NodeView is a node's per-NUMA free resources, the node-wide totals and the per-thread state. */
export interface NodeView {
  readonly numa: readonly NumaView[];
  readonly freeThreads: number;
  readonly memoryFreeMb: number;
  /** groups maps each anti-affinity group present on the node to the first VM holding it */
  readonly groups: ReadonlyMap<string, string>;
  /** reserved[t] is 1 for a host-reserved thread (read only) */
  readonly reserved: Uint8Array;
  /** pinned[t] counts dedicated pins on thread t (read only) */
  readonly pinned: Uint16Array;
  /** load[t] counts shared vCPU pins on thread t (read only) */
  readonly load: Uint32Array;
}
