import type { HostTopology, NumaNode } from '../../shared/topology.js';
import type { Allocation, NodeView, NumaView, PlacementNode } from './types.js';

/** TopologyIndex is a topology's sorted thread lists and the NUMA slot each thread sits in. */
export interface TopologyIndex {
  /** size is one past the highest thread id, the length of the per-thread arrays */
  readonly size: number;
  readonly numa: readonly { readonly node: NumaNode; readonly threads: readonly number[] }[];
  /** slotOf[t] is the position in `numa` of thread t's NUMA node, -1 for none */
  readonly slotOf: Int16Array;
}

// Topologies come from agent hellos and are replaced, never edited, so their index is kept.
const topologyCache = new WeakMap<HostTopology, TopologyIndex>();

/** topologyIndex is the (cached) thread index of a topology. */
export function topologyIndex(topology: HostTopology): TopologyIndex {
  let index = topologyCache.get(topology);
  if (index) return index;
  let size = 0;
  for (const n of topology.numa_nodes)
    for (const c of n.cpus) if (c.id >>> 0 === c.id) size = Math.max(size, c.id + 1);
  // a thread counts once, in the first NUMA node that lists it
  const slotOf = new Int16Array(size).fill(-1);
  const numa = topology.numa_nodes.map((node, slot) => {
    const threads: number[] = [];
    for (const c of node.cpus) {
      if (c.id >>> 0 !== c.id || slotOf[c.id] !== -1) continue;
      slotOf[c.id] = slot;
      threads.push(c.id);
    }
    return { node, threads: threads.sort((a, b) => a - b) };
  });
  for (const n of topology.numa_nodes) siblingMap(n);
  index = { size, numa, slotOf };
  topologyCache.set(topology, index);
  return index;
}

// Topologies are replaced, never edited, so a NUMA node's sibling map is built once (with its index).
const siblingCache = new WeakMap<NumaNode, ReadonlyMap<number, readonly number[]>>();

/** siblingMap maps each thread of a NUMA node to its core's threads (SMT siblings, itself included). */
export function siblingMap(numaNode: NumaNode): ReadonlyMap<number, readonly number[]> {
  let map = siblingCache.get(numaNode);
  if (!map) {
    map = new Map(numaNode.cpus.map((c) => [c.id, c.siblings] as const));
    siblingCache.set(numaNode, map);
  }
  return map;
}

/** NumaState is one NUMA node's free resources, kept up to date by its NodeState. */
class NumaState implements NumaView {
  reservedCount = 0;
  freeCount = 0;
  loadedShared = 0;
  sharedVcpus = 0;
  memoryFreeMb = 0;
  /** usedMb sums the memory of the allocations bound here, in allocation order */
  usedMb = 0;
  constructor(
    readonly id: number,
    readonly threads: readonly number[],
    readonly memoryMb: number,
  ) {}
}

const NO_GROUPS: ReadonlyMap<string, string> = new Map();
// a thread's class: what it counts towards in its NUMA node
const FREE = 0;
const LOADED = 1;
const RESERVED = 2;
const PINNED = 3;

/**
 * NodeState is a node's free resources per NUMA node, with per-thread counters (host-reserved,
 * dedicated pins, shared load) so one claim or release changes it in O(pins) without a rebuild.
 * The full scan builds one per node object and never changes it; the index owns one per node and
 * applies claims to it. `reset` and any sequence of `add`/`remove` give the same figures.
 */
export class NodeState implements NodeView {
  readonly numa: NumaState[];
  freeThreads = 0;
  memoryFreeMb = 0;
  groups: ReadonlyMap<string, string> = NO_GROUPS;
  readonly reserved: Uint8Array;
  readonly pinned: Uint16Array;
  readonly load: Uint32Array;
  private hostMemoryMb = 0;

  constructor(readonly topology: TopologyIndex) {
    this.numa = topology.numa.map((n) => new NumaState(n.node.id, n.threads, n.node.memory_mb));
    this.reserved = new Uint8Array(topology.size);
    this.pinned = new Uint16Array(topology.size);
    this.load = new Uint32Array(topology.size);
  }

  /** of builds the state of a node from its allocations. */
  static of(node: PlacementNode): NodeState {
    const state = new NodeState(topologyIndex(node.topology));
    state.reset(node, node.allocations);
    return state;
  }

  /** reset recomputes everything from the node's reservations and the given allocations, in place. */
  reset(node: PlacementNode, allocations: readonly Allocation[]): void {
    this.reserved.fill(0);
    this.pinned.fill(0);
    this.load.fill(0);
    for (const t of node.host_reserved_cpus) if (this.owns(t)) this.reserved[t] = 1;
    this.hostMemoryMb = node.host_reserved_memory_mb ?? 0;
    this.groups = NO_GROUPS;
    for (const a of allocations) {
      for (const t of a.pins) if (this.owns(t)) this.count(t, a.cpu_policy, 1);
      this.noteGroup(a);
    }
    for (const n of this.numa) {
      n.reservedCount = n.freeCount = n.loadedShared = n.sharedVcpus = 0;
      for (const t of n.threads) {
        n.sharedVcpus += this.load[t]!;
        const kind = this.kind(t);
        if (kind === FREE) n.freeCount++;
        else if (kind === LOADED) n.loadedShared++;
        else if (kind === RESERVED) n.reservedCount++;
      }
    }
    this.sumMemory(allocations);
    this.total();
  }

  /** add applies one more allocation (appended after the ones already held). */
  add(a: Allocation): void {
    this.shift(a, 1);
    this.noteGroup(a);
    for (const n of this.numa) if (n.id === a.numa_node) n.usedMb += a.memory_mb;
    this.total();
  }

  /** remove takes one allocation back out; `rest` are the allocations still held, in order. */
  remove(a: Allocation, rest: readonly Allocation[]): void {
    this.shift(a, -1);
    const group = a.anti_affinity_group;
    if (group !== undefined && this.groups.get(group) === a.vm_id) {
      (this.groups as Map<string, string>).delete(group);
      for (const other of rest) if (other.anti_affinity_group === group) this.noteGroup(other);
    }
    this.sumMemory(rest);
    this.total();
  }

  private owns(t: number): boolean {
    return t >>> 0 === t && t < this.reserved.length;
  }

  private kind(t: number): number {
    if (this.reserved[t]) return RESERVED;
    if (this.pinned[t]! > 0) return PINNED;
    return this.load[t]! > 0 ? LOADED : FREE;
  }

  private count(t: number, policy: Allocation['cpu_policy'], sign: 1 | -1): void {
    if (policy === 'shared') this.load[t]! += sign;
    else this.pinned[t]! += sign;
  }

  // Moves each pinned thread between free / loaded / pinned and fixes its NUMA node's counts.
  private shift(a: Allocation, sign: 1 | -1): void {
    const slotOf = this.topology.slotOf;
    for (const t of a.pins) {
      if (!this.owns(t)) continue;
      const before = this.kind(t);
      this.count(t, a.cpu_policy, sign);
      const slot = slotOf[t]!;
      if (slot < 0) continue;
      const n = this.numa[slot]!;
      if (a.cpu_policy === 'shared') n.sharedVcpus += sign;
      const after = this.kind(t);
      if (before === after) continue;
      if (before === FREE) n.freeCount--;
      else if (before === LOADED) n.loadedShared--;
      if (after === FREE) n.freeCount++;
      else if (after === LOADED) n.loadedShared++;
    }
  }

  // The first allocation (in order) of a group is its holder, as named in rejection details.
  private noteGroup(a: Allocation): void {
    const group = a.anti_affinity_group;
    if (group === undefined || this.groups.has(group)) return;
    if (this.groups === NO_GROUPS) this.groups = new Map();
    (this.groups as Map<string, string>).set(group, a.vm_id);
  }

  private sumMemory(allocations: readonly Allocation[]): void {
    for (const n of this.numa) n.usedMb = 0;
    for (const a of allocations) for (const n of this.numa) if (n.id === a.numa_node) n.usedMb += a.memory_mb;
  }

  private total(): void {
    this.freeThreads = 0;
    this.memoryFreeMb = 0;
    for (const n of this.numa) {
      n.memoryFreeMb = n.memoryMb - (this.hostMemoryMb + n.usedMb);
      this.freeThreads += n.freeCount;
      this.memoryFreeMb += Math.max(0, n.memoryFreeMb);
    }
  }
}
