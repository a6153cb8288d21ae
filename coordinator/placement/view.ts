import { NodeState } from './node-state.js';
import type { PlacementNode } from './types.js';

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
