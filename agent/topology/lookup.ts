import type { HostThread, HostTopology } from '../../shared/topology.js';

/** PlacedThread is a host thread together with the NUMA node that holds it. */
export type PlacedThread = HostThread & { readonly numa_node: number };

/** threadIndex maps every online thread id to the thread and its NUMA node. */
export function threadIndex(topo: HostTopology): Map<number, PlacedThread> {
  const index = new Map<number, PlacedThread>();
  for (const node of topo.numa_nodes) {
    for (const thread of node.cpus) index.set(thread.id, { ...thread, numa_node: node.id });
  }
  return index;
}

/** siblingOf gives the lowest other thread on the same core, or undefined (no SMT, offline sibling, unknown cpu). */
export function siblingOf(topo: HostTopology, cpu: number): number | undefined {
  for (const node of topo.numa_nodes) {
    const thread = node.cpus.find((t) => t.id === cpu);
    if (thread) return thread.siblings.find((s) => s !== cpu);
  }
  return undefined;
}

/** numaNodeOfCpu gives the id of the NUMA node holding the thread, or undefined when it is not online. */
export function numaNodeOfCpu(topo: HostTopology, cpu: number): number | undefined {
  return topo.numa_nodes.find((node) => node.cpus.some((t) => t.id === cpu))?.id;
}

/** siblingGroups lists a node's cores as sibling groups, each once, ordered by their first thread. */
export function siblingGroups(threads: readonly HostThread[]): number[][] {
  const seen = new Set<string>();
  const groups: number[][] = [];
  for (const thread of [...threads].sort((a, b) => a.id - b.id)) {
    const key = thread.siblings.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    groups.push([...thread.siblings]);
  }
  return groups;
}
