import { DEFAULT_PLACEMENT_CONFIG, type PassReport, type PlacementNode, type ReasonCode } from './types.js';
import { nodeView, sharedCapacity } from './view.js';

/** NumaFreeSummary is one NUMA node's row in the allocation table (GET /v1/nodes, dry-run). */
export interface NumaFreeSummary {
  readonly numa_node: number;
  readonly threads_total: number;
  readonly threads_host_reserved: number;
  /** threads_free are neither host-reserved nor pinned: what a dedicated VM can take */
  readonly threads_free: number;
  readonly memory_mb: number;
  readonly memory_free_mb: number;
  /** shared_vcpus_used / shared_vcpus_capacity is shared-CPU load at the configured overcommit */
  readonly shared_vcpus_used: number;
  readonly shared_vcpus_capacity: number;
}

/** NodeFreeSummary is a node's per-NUMA free resources plus totals. */
export interface NodeFreeSummary {
  readonly node_id: string;
  readonly threads_free: number;
  readonly memory_free_mb: number;
  readonly numa: NumaFreeSummary[];
}

/** freeSummary reports a node's free threads, free memory and shared load per NUMA node. */
export function freeSummary(node: PlacementNode, opts: { cpu_overcommit?: number } = {}): NodeFreeSummary {
  const overcommit = opts.cpu_overcommit ?? DEFAULT_PLACEMENT_CONFIG.cpu_overcommit;
  const view = nodeView(node);
  const numa = view.numa.map((n) => {
    const topo = node.topology.numa_nodes.find((t) => t.id === n.id);
    return {
      numa_node: n.id,
      threads_total: n.threads.length,
      threads_host_reserved: n.reservedCount,
      threads_free: n.freeCount,
      memory_mb: topo?.memory_mb ?? 0,
      memory_free_mb: Math.max(0, n.memoryFreeMb),
      shared_vcpus_used: n.sharedVcpus,
      shared_vcpus_capacity: n.sharedVcpus + Math.max(0, sharedCapacity(n, overcommit)),
    };
  });
  return { node_id: node.id, threads_free: view.freeThreads, memory_free_mb: view.memoryFreeMb, numa };
}

/** rejectionCounts tallies a pass's rejections by reason, for logs and compact error bodies on big fleets. */
export function rejectionCounts(report: PassReport): Partial<Record<ReasonCode, number>> {
  const counts: Partial<Record<ReasonCode, number>> = {};
  for (const r of report.rejected) counts[r.reason] = (counts[r.reason] ?? 0) + 1;
  return counts;
}
