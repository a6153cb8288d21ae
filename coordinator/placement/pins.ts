import type { NumaNode } from '../../shared/topology.js';
import type { PlacementNode } from './types.js';
import { heldThreads, type NumaView } from './view.js';

/** numaThreads lists a NUMA node's free and host-reserved threads, sorted; only the chosen node pays for it. */
export function numaThreads(node: PlacementNode, numa: NumaView): { free: number[]; reserved: number[] } {
  const held = heldThreads(node);
  const free: number[] = [];
  const reserved: number[] = [];
  for (const t of numa.threads) {
    if (held.reserved.has(t)) reserved.push(t);
    else if (!held.dedicated.has(t) && !held.sharedLoad.has(t)) free.push(t);
  }
  return { free, reserved };
}

/**
 * dedicatedPins picks `count` free threads on one NUMA node: whole free sibling groups first,
 * lowest core first, each as [t, sib(t)…]; then leftover single threads, lowest first.
 */
export function dedicatedPins(numaNode: NumaNode, free: readonly number[], count: number): number[] {
  const freeSet = new Set(free);
  const siblingsOf = siblingMap(numaNode);
  const taken = new Set<number>();
  const pins: number[] = [];
  for (const t of free) {
    if (pins.length === count) break;
    const core = siblingsOf.get(t) ?? [t];
    const wholeFree = core.every((s) => freeSet.has(s) && !taken.has(s));
    if (!wholeFree || core.length > count - pins.length) continue;
    // free is ascending, so t is the core's lowest thread: pins read [t0, sib(t0), t1, sib(t1), …]
    for (const s of [t, ...core.filter((s) => s !== t)]) {
      pins.push(s);
      taken.add(s);
    }
  }
  for (const t of free) {
    if (pins.length === count) break;
    if (!taken.has(t)) pins.push(t);
  }
  return pins;
}

// Topologies are replaced, never edited, so a NUMA node's sibling map is built once.
const siblingCache = new WeakMap<NumaNode, ReadonlyMap<number, readonly number[]>>();

function siblingMap(numaNode: NumaNode): ReadonlyMap<number, readonly number[]> {
  let map = siblingCache.get(numaNode);
  if (!map) {
    map = new Map(numaNode.cpus.map((c) => [c.id, c.siblings] as const));
    siblingCache.set(numaNode, map);
  }
  return map;
}

/**
 * sharedPins gives one thread per vCPU, round-robin over the NUMA node's shared threads starting
 * with the least loaded (ties lowest id), so loads on a NUMA node never differ by more than one.
 */
export function sharedPins(node: PlacementNode, numa: NumaView, count: number): number[] {
  const held = heldThreads(node);
  const shared = numa.threads
    .filter((t) => !held.reserved.has(t) && !held.dedicated.has(t))
    .map((t) => ({ t, load: held.sharedLoad.get(t) ?? 0 }))
    .sort((a, b) => a.load - b.load || a.t - b.t);
  const pins: number[] = [];
  for (let i = 0; i < count && shared.length > 0; i++) pins.push(shared[i % shared.length]!.t);
  return pins;
}

/**
 * emulatorCpuset is the NUMA node's host-reserved threads; without any there, the node's reserved
 * threads; without those, the VM's own pins (libvirt's default: emulator floats over the vCPUs).
 */
export function emulatorCpuset(
  node: PlacementNode,
  numa: NumaView,
  pins: readonly number[],
  threads: { readonly reserved: readonly number[] } = numaThreads(node, numa),
): number[] {
  const reserved = [...threads.reserved];
  if (reserved.length > 0) return reserved;
  const source = node.host_reserved_cpus.length > 0 ? node.host_reserved_cpus : pins;
  return [...new Set(source)].sort((a, b) => a - b);
}
