import { NodeState } from './node-state.js';
import type { NodeView, NumaView, PlacementNode } from './types.js';

export type { NodeView, NumaView } from './types.js';

interface CacheEntry {
  readonly allocations: PlacementNode['allocations'];
  readonly count: number;
  readonly topology: PlacementNode['topology'];
  readonly reservedCpus: PlacementNode['host_reserved_cpus'];
  readonly reservedMemory: number;
  readonly view: NodeView;
}

// Memoised by object identity so a fleet of unchanged nodes costs O(nodes × NUMA nodes) per decision.
// The view is a pure function of the node, so caching never changes a decision as long as callers
// replace nodes instead of mutating them (the entry also checks the allocation count as a guard).
const cache = new WeakMap<PlacementNode, CacheEntry>();

/** nodeView gives the node's free resources, reusing the last view while the node is unchanged. */
export function nodeView(node: PlacementNode): NodeView {
  const hit = cache.get(node);
  const reservedMemory = node.host_reserved_memory_mb ?? 0;
  if (
    hit &&
    hit.allocations === node.allocations &&
    hit.count === node.allocations.length &&
    hit.topology === node.topology &&
    hit.reservedCpus === node.host_reserved_cpus &&
    hit.reservedMemory === reservedMemory
  ) {
    return hit.view;
  }
  const view = NodeState.of(node);
  cache.set(node, {
    allocations: node.allocations,
    count: node.allocations.length,
    topology: node.topology,
    reservedCpus: node.host_reserved_cpus,
    reservedMemory,
    view,
  });
  return view;
}

/** sharedCapacity is how many more shared vCPUs a NUMA node takes at the given overcommit. */
export function sharedCapacity(numa: NumaView, overcommit: number): number {
  return Math.floor((numa.freeCount + numa.loadedShared) * overcommit) - numa.sharedVcpus;
}
