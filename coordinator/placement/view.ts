import type { NumaNode } from '../../shared/topology.js';
import type { PlacementNode } from './types.js';

/** NumaView is one NUMA node's free resources, derived from the node's allocations. */
export interface NumaView {
  readonly id: number;
  /** threads are the node's online threads, sorted */
  readonly threads: readonly number[];
  /** reserved are this NUMA node's host-reserved threads, sorted (the emulator cpuset) */
  readonly reserved: readonly number[];
  /** free threads are neither host-reserved nor pinned by any allocation, sorted */
  readonly free: readonly number[];
  /** loadedShared counts threads carrying shared vCPUs and no dedicated pin */
  readonly loadedShared: number;
  /** sharedVcpus counts shared vCPU pins on this NUMA node's threads */
  readonly sharedVcpus: number;
  readonly memoryFreeMb: number;
}

/** NodeView is a node's per-NUMA free resources plus the node-wide totals the quick checks use. */
export interface NodeView {
  readonly numa: readonly NumaView[];
  readonly freeThreads: number;
  readonly memoryFreeMb: number;
  /** groups maps each anti-affinity group present on the node to one VM holding it */
  readonly groups: ReadonlyMap<string, string>;
}

interface HeldThreads {
  readonly reserved: ReadonlySet<number>;
  readonly dedicated: ReadonlySet<number>;
  readonly sharedLoad: ReadonlyMap<number, number>;
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
  const view = buildNodeView(node);
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

/** heldThreads sorts every pinned thread into dedicated or shared (with its shared vCPU load). */
export function heldThreads(node: PlacementNode): HeldThreads {
  const dedicated = new Set<number>();
  const sharedLoad = new Map<number, number>();
  for (const a of node.allocations) {
    for (const pin of a.pins) {
      if (a.cpu_policy === 'dedicated') dedicated.add(pin);
      else sharedLoad.set(pin, (sharedLoad.get(pin) ?? 0) + 1);
    }
  }
  return { reserved: new Set(node.host_reserved_cpus), dedicated, sharedLoad };
}

function buildNodeView(node: PlacementNode): NodeView {
  const held = heldThreads(node);
  const memoryUsed = new Map<number, number>();
  const groups = new Map<string, string>();
  for (const a of node.allocations) {
    memoryUsed.set(a.numa_node, (memoryUsed.get(a.numa_node) ?? 0) + a.memory_mb);
    if (a.anti_affinity_group !== undefined && !groups.has(a.anti_affinity_group)) {
      groups.set(a.anti_affinity_group, a.vm_id);
    }
  }
  const hostMemory = node.host_reserved_memory_mb ?? 0;
  const numa = node.topology.numa_nodes.map((n) => numaView(n, held, hostMemory, memoryUsed.get(n.id) ?? 0));
  let freeThreads = 0;
  let memoryFreeMb = 0;
  for (const n of numa) {
    freeThreads += n.free.length;
    memoryFreeMb += Math.max(0, n.memoryFreeMb);
  }
  return { numa, freeThreads, memoryFreeMb, groups };
}

function numaView(n: NumaNode, held: HeldThreads, hostMemory: number, memoryUsed: number): NumaView {
  const threads = n.cpus.map((c) => c.id).sort((a, b) => a - b);
  const reserved: number[] = [];
  const free: number[] = [];
  let loadedShared = 0;
  let sharedVcpus = 0;
  for (const t of threads) {
    const load = held.sharedLoad.get(t) ?? 0;
    sharedVcpus += load;
    if (held.reserved.has(t)) reserved.push(t);
    else if (held.dedicated.has(t)) continue;
    else if (load > 0) loadedShared++;
    else free.push(t);
  }
  return {
    id: n.id,
    threads,
    reserved,
    free,
    loadedShared,
    sharedVcpus,
    memoryFreeMb: n.memory_mb - hostMemory - memoryUsed,
  };
}

/** sharedCapacity is how many more shared vCPUs a NUMA node takes at the given overcommit. */
export function sharedCapacity(numa: NumaView, overcommit: number): number {
  return Math.floor((numa.free.length + numa.loadedShared) * overcommit) - numa.sharedVcpus;
}
