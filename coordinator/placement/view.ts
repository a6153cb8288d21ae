import type { HostTopology, NumaNode } from '../../shared/topology.js';
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

interface TopologyIndex {
  /** size is one past the highest thread id, the length of the per-thread state arrays */
  readonly size: number;
  readonly numa: readonly { readonly node: NumaNode; readonly threads: readonly number[] }[];
}

// Topologies come from agent hellos and rarely change, so their sorted thread lists are kept too.
const topologyCache = new WeakMap<HostTopology, TopologyIndex>();

function topologyIndex(topology: HostTopology): TopologyIndex {
  let index = topologyCache.get(topology);
  if (index) return index;
  let size = 0;
  const numa = topology.numa_nodes.map((node) => {
    const threads = node.cpus.map((c) => c.id).sort((a, b) => a - b);
    size = Math.max(size, (threads.at(-1) ?? -1) + 1);
    return { node, threads };
  });
  index = { size, numa };
  topologyCache.set(topology, index);
  return index;
}

const RESERVED = 1;
const DEDICATED = 2;
const NO_GROUPS: ReadonlyMap<string, string> = new Map();

// Typed per-thread arrays instead of Sets: a fleet-wide rebuild must stay a few microseconds a node.
function buildNodeView(node: PlacementNode): NodeView {
  const index = topologyIndex(node.topology);
  const state = new Uint8Array(index.size);
  const load = new Uint32Array(index.size);
  for (const t of node.host_reserved_cpus) if (t < index.size) state[t] = RESERVED;
  let groups = NO_GROUPS;
  for (const a of node.allocations) {
    for (const t of a.pins) {
      if (t >= index.size) continue;
      if (a.cpu_policy === 'shared') load[t]!++;
      else if (state[t] !== RESERVED) state[t] = DEDICATED;
    }
    if (a.anti_affinity_group !== undefined && !groups.has(a.anti_affinity_group)) {
      if (groups === NO_GROUPS) groups = new Map();
      (groups as Map<string, string>).set(a.anti_affinity_group, a.vm_id);
    }
  }
  const hostMemory = node.host_reserved_memory_mb ?? 0;
  let freeThreads = 0;
  let memoryFreeMb = 0;
  const numa = index.numa.map(({ node: n, threads }) => {
    const view = numaView(n, threads, state, load, hostMemory + memoryUsedOn(node, n.id));
    freeThreads += view.freeCount;
    memoryFreeMb += Math.max(0, view.memoryFreeMb);
    return view;
  });
  return { numa, freeThreads, memoryFreeMb, groups };
}

function memoryUsedOn(node: PlacementNode, numaId: number): number {
  let used = 0;
  for (const a of node.allocations) if (a.numa_node === numaId) used += a.memory_mb;
  return used;
}

function numaView(
  n: NumaNode,
  threads: readonly number[],
  state: Uint8Array,
  load: Uint32Array,
  memoryDeduction: number,
): NumaView {
  let reservedCount = 0;
  let freeCount = 0;
  let loadedShared = 0;
  let sharedVcpus = 0;
  for (const t of threads) {
    const shared = load[t]!;
    sharedVcpus += shared;
    if (state[t] === RESERVED) reservedCount++;
    else if (state[t] === DEDICATED) continue;
    else if (shared > 0) loadedShared++;
    else freeCount++;
  }
  return {
    id: n.id,
    threads,
    reservedCount,
    freeCount,
    loadedShared,
    sharedVcpus,
    memoryFreeMb: n.memory_mb - memoryDeduction,
  };
}

/** sharedCapacity is how many more shared vCPUs a NUMA node takes at the given overcommit. */
export function sharedCapacity(numa: NumaView, overcommit: number): number {
  return Math.floor((numa.freeCount + numa.loadedShared) * overcommit) - numa.sharedVcpus;
}
