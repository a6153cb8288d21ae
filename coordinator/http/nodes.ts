import type { Allocation } from '../placement/types.js';
import type { NodeDetail, NodeRow } from '../../api/fleet.js';
import { freeSummary } from '../placement/index.js';
import type { PlacementNode } from '../placement/types.js';
import type { NodeEntry } from '../registry/registry.js';
import type { StoreState } from '../store/types.js';
import { placementNodes } from '../placer/fleet-view.js';

/** NodeRow is one line of the seed-001 allocation table (declared in api/). */
export type { NodeRow };

/** nodeRows builds the per-node allocation table from the registry and the store's claims. */
export function nodeRows(
  entries: readonly NodeEntry[],
  state: StoreState,
  overcommit: number,
  claimsOf?: (nodeId: string) => Allocation[],
): NodeRow[] {
  const nodes = placementNodes(entries, state, claimsOf);
  return nodes.map((n, i) => row(n, entries[i]!, state, overcommit));
}

function row(n: PlacementNode, entry: NodeEntry, state: StoreState, overcommit: number): NodeRow {
  const reserved = new Set(n.host_reserved_cpus);
  const vcpuTotal = n.topology.numa_nodes.reduce(
    (s, nn) => s + nn.cpus.filter((c) => !reserved.has(c.id)).length,
    0,
  );
  const ramTotal =
    n.topology.numa_nodes.reduce((s, nn) => s + nn.memory_mb, 0) -
    (n.host_reserved_memory_mb ?? 0) * n.topology.numa_nodes.length;
  const vcpuUsed = n.allocations.reduce((s, a) => s + a.pins.length, 0);
  const ramUsed = n.allocations.reduce((s, a) => s + a.memory_mb, 0);
  return {
    id: n.id,
    state: entry.state,
    reserved: n.reserved,
    kvm: n.kvm,
    vms: n.allocations.map((a) => state.vms[a.vm_id]?.name ?? a.vm_id),
    vcpu_used: vcpuUsed,
    vcpu_total: vcpuTotal,
    ram_used_mb: ramUsed,
    ram_total_mb: ramTotal,
    vcpu_available: Math.max(0, vcpuTotal - vcpuUsed),
    ram_available_mb: Math.max(0, ramTotal - ramUsed),
    over_allocated: vcpuUsed > vcpuTotal || ramUsed > ramTotal,
    last_seen: new Date(entry.lastSeen).toISOString(),
    numa: freeSummary(n, { cpu_overcommit: overcommit }).numa,
  };
}

/** nodeDetail is one node's topology with the VM holding each thread (GET /v1/nodes/{id}). */
export function nodeDetail(entry: NodeEntry, state: StoreState, overcommit: number): NodeDetail {
  const [n] = placementNodes([entry], state);
  const holders = new Map<number, string[]>();
  for (const a of n!.allocations) {
    for (const t of a.pins) holders.set(t, [...(holders.get(t) ?? []), state.vms[a.vm_id]?.name ?? a.vm_id]);
  }
  const reserved = new Set(n!.host_reserved_cpus);
  return {
    ...row(n!, entry, state, overcommit),
    hostname: entry.hello.topology.hostname,
    cpu_model: entry.hello.topology.cpu_model,
    heartbeat_interval_ms: entry.intervalMs,
    tuning: entry.hello.tuning ?? [],
    numa_nodes: entry.hello.topology.numa_nodes.map((nn) => ({
      id: nn.id,
      memory_mb: nn.memory_mb,
      threads: nn.cpus.map((c) => ({
        id: c.id,
        core_id: c.core_id,
        socket_id: c.socket_id,
        siblings: c.siblings,
        host_reserved: reserved.has(c.id),
        vms: holders.get(c.id) ?? [],
      })),
    })),
  };
}
