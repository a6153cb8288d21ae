import type { NumaNode } from '../../shared/topology.js';
import { siblingMap } from './node-state.js';
import type { PlacementNode } from './types.js';
import { type NodeView, type NumaView, nodeView } from './view.js';

/** numaThreads lists a NUMA node's free and host-reserved threads, sorted; only the chosen node pays for it. */
export function numaThreads(view: NodeView, numa: NumaView): { free: number[]; reserved: number[] } {
  const free: number[] = [];
  const reserved: number[] = [];
  for (const t of numa.threads) {
    if (view.reserved[t]) reserved.push(t);
    else if (view.pinned[t] === 0 && view.load[t] === 0) free.push(t);
  }
  return { free, reserved };
}

// Scratch marks for dedicatedPins (placement is synchronous, so one buffer serves every call).
const UNMARKED = 0;
const FREE = 1;
const TAKEN = 2;
let marks = new Uint8Array(256);

/**
 * dedicatedPins picks `count` free threads on one NUMA node: whole free sibling groups first,
 * lowest core first, each as [t, sib(t)…]; then leftover single threads, lowest first.
 */
export function dedicatedPins(numaNode: NumaNode, free: readonly number[], count: number): number[] {
  for (const t of free) if (t >= marks.length) marks = new Uint8Array(Math.max(t + 1, marks.length * 2));
  for (const t of free) marks[t] = FREE;
  const siblingsOf = siblingMap(numaNode);
  const pins: number[] = [];
  for (const t of free) {
    if (pins.length === count) break;
    const core = siblingsOf.get(t) ?? [t];
    if (core.length > count - pins.length || !allFree(core)) continue;
    // free is ascending, so t is the core's lowest thread: pins read [t0, sib(t0), t1, sib(t1), …]
    pins.push(t);
    marks[t] = TAKEN;
    for (const s of core) {
      if (s === t) continue;
      pins.push(s);
      marks[s] = TAKEN;
    }
  }
  for (const t of free) {
    if (pins.length === count) break;
    if (marks[t] !== TAKEN) pins.push(t);
  }
  for (const t of free) marks[t] = UNMARKED;
  return pins;
}

function allFree(core: readonly number[]): boolean {
  for (const s of core) if (marks[s] !== FREE) return false;
  return true;
}

/**
 * sharedPins gives one thread per vCPU, round-robin over the NUMA node's shared threads starting
 * with the least loaded (ties lowest id), so loads on a NUMA node never differ by more than one.
 */
export function sharedPins(view: NodeView, numa: NumaView, count: number): number[] {
  const shared = numa.threads
    .filter((t) => !view.reserved[t] && view.pinned[t] === 0)
    .sort((a, b) => view.load[a]! - view.load[b]! || a - b);
  const pins: number[] = [];
  for (let i = 0; i < count && shared.length > 0; i++) pins.push(shared[i % shared.length]!);
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
  threads: { readonly reserved: readonly number[] } = numaThreads(nodeView(node), numa),
): number[] {
  const reserved = [...threads.reserved];
  if (reserved.length > 0) return reserved;
  const source = node.host_reserved_cpus.length > 0 ? node.host_reserved_cpus : pins;
  return [...new Set(source)].sort((a, b) => a - b);
}
