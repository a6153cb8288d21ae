import { notRun, PassExplainer, wantDetail } from './explain.js';
import { FreeGrid, type IndexedNode } from './free-grid.js';
import { GridSearch, type SearchScope } from './grid-search.js';
import { NodeSlots } from './node-slots.js';
import { NodeState, topologyIndex } from './node-state.js';
import { assertValid, decide, failed } from './place.js';
import { reasonCode } from './reasons.js';
import {
  type Allocation,
  DEFAULT_PLACEMENT_CONFIG,
  DETAIL_AUTO_MAX_NODES,
  type PassReport,
  type PlacementConfig,
  type PlacementNode,
  type PlacementOptions,
  type PlacementRequest,
  type PlacementResult,
} from './types.js';

/**
 * PlacementIndex keeps the fleet's free capacity up to date as nodes change and decides exactly
 * like placeVm's full scan while touching only the nodes that can matter. Each node's NodeState is
 * changed in place: `claim`/`release` in O(pins), `upsert` by the difference from the last list
 * (appended or removed claims; anything else is recomputed in place). Live nodes sit in four
 * classes (reserved × KVM), each a FreeGrid ordered by the node's free threads, which is what the
 * rank score is made of. Failures and dry runs explain with a full, allocation-light pass (counts
 * per reason, never per-node strings unless asked).
 */
export class PlacementIndex {
  private readonly entries = new Map<string, IndexedNode>();
  private readonly slots = new NodeSlots<IndexedNode>();
  // class number: (reserved ? 2 : 0) + (kvm ? 1 : 0)
  private readonly classes = [0, 1, 2, 3].map(() => new FreeGrid(this.slots));
  private readonly groups = {
    kvm1: [this.classes[1]!],
    tcg1: [this.classes[0]!],
    kvm2: [this.classes[1]!, this.classes[3]!],
    tcg2: [this.classes[0]!, this.classes[2]!],
  };
  private readonly searcher = new GridSearch(this.slots);

  /** size is the number of nodes the index holds (live or down). */
  get size(): number {
    return this.entries.size;
  }

  /** upsert adds or replaces a node; nodes are immutable, so pass a new object for every change. */
  upsert(node: PlacementNode): void {
    const e = this.entries.get(node.id);
    if (!e) {
      this.add(node);
      return;
    }
    if (e.node === node && !e.changed) return;
    const prev = e.node;
    e.node = node;
    e.snapshot = null;
    e.changed = false;
    if (node.topology !== prev.topology) {
      e.grid?.unfile(e);
      e.state = new NodeState(topologyIndex(node.topology));
      this.resetTo(e, node.allocations);
    } else if (
      node.host_reserved_cpus !== prev.host_reserved_cpus ||
      (node.host_reserved_memory_mb ?? 0) !== (prev.host_reserved_memory_mb ?? 0)
    ) {
      this.resetTo(e, node.allocations);
    } else {
      follow(e, node.allocations);
    }
    this.file(e);
  }

  /** claim adds one allocation to a node in place (no copy of its list); false for an unknown node. */
  claim(nodeId: string, allocation: Allocation): boolean {
    const e = this.entries.get(nodeId);
    if (!e) return false;
    e.allocations.push(allocation);
    e.state.add(allocation);
    this.touched(e);
    return true;
  }

  /** release takes a VM's allocation off a node in place; false when the node does not hold it. */
  release(nodeId: string, vmId: string): boolean {
    const e = this.entries.get(nodeId);
    const at = e ? e.allocations.findIndex((a) => a.vm_id === vmId) : -1;
    if (!e || at < 0) return false;
    const [gone] = e.allocations.splice(at, 1);
    e.state.remove(gone!, e.allocations);
    this.touched(e);
    return true;
  }

  /** remove forgets a node. */
  remove(nodeId: string): void {
    const e = this.entries.get(nodeId);
    if (!e) return;
    e.grid?.unfile(e);
    this.entries.delete(nodeId);
    this.slots.release(e.slot);
  }

  /** get returns the node as the index holds it, claims included. */
  get(nodeId: string): PlacementNode | undefined {
    const e = this.entries.get(nodeId);
    return e && current(e);
  }

  /** nodes lists every node in the order they were first added. */
  nodes(): PlacementNode[] {
    return [...this.entries.values()].map(current);
  }

  /** place decides like placeVm over the indexed fleet; see PlacementOptions for explain and detail. */
  place(
    request: PlacementRequest,
    config: PlacementConfig = DEFAULT_PLACEMENT_CONFIG,
    opts: PlacementOptions = {},
  ): PlacementResult {
    assertValid(request, config);
    const exclude = opts.exclude ?? NONE;
    const cordoned = opts.cordoned ?? NONE;
    let pass: 1 | 2 = 1;
    let found = this.search({ pass, request, config, exclude, cordoned });
    if (!found && request.allow_reserved) {
      pass = 2;
      found = this.search({ pass, request, config, exclude, cordoned });
    }
    const s = this.searcher;
    const option = found && {
      node: s.best!.node,
      view: s.best!.state,
      numa: s.bestNuma!,
      score: s.bestScore,
    };
    if (option && !opts.explain) return { ok: true, decision: decide(option, request, pass), passes: [] };
    const passes = this.explain(request, config, opts, pass);
    return option ? { ok: true, decision: decide(option, request, pass), passes } : failed(passes);
  }

  private search(scope: SearchScope): boolean {
    const { pass, request } = scope;
    // KVM nodes always outrank TCG ones when KVM is optional, so TCG is searched only as a fallback.
    const g = this.groups;
    if (this.searcher.run(pass === 1 ? g.kvm1 : g.kvm2, scope)) return true;
    if (request.requires_kvm) return false;
    return this.searcher.run(pass === 1 ? g.tcg1 : g.tcg2, scope) !== null;
  }

  private explain(
    request: PlacementRequest,
    config: PlacementConfig,
    opts: PlacementOptions,
    lastPass: 1 | 2,
  ): PassReport[] {
    const detail = wantDetail(opts.detail, this.entries.size, DETAIL_AUTO_MAX_NODES);
    const exclude = opts.exclude ?? NONE;
    const cordoned = opts.cordoned;
    const one = (pass: 1 | 2): PassReport => {
      const explainer = new PassExplainer(pass, request, config, { detail, cordoned });
      for (const e of this.entries.values()) {
        const node = exclude.has(e.node.id) ? { ...e.node, alive: false } : e.node;
        explainer.add(node, e.state, reasonCode(node, e.state, request, pass, config, cordoned));
      }
      return explainer.finish();
    };
    return lastPass === 1 ? [one(1), notRun(2)] : [one(1), one(2)];
  }

  private add(node: PlacementNode): void {
    const state = new NodeState(topologyIndex(node.topology));
    const e: IndexedNode = {
      id: node.id,
      slot: this.slots.take(node.id),
      node,
      allocations: [],
      state,
      changed: false,
      snapshot: null,
      grid: null,
      cells: state.numa.map(() => null),
      pos: state.numa.map(() => 0),
    };
    this.slots.put(e.slot, e);
    this.resetTo(e, node.allocations);
    this.entries.set(node.id, e);
    this.file(e);
  }

  private resetTo(e: IndexedNode, allocations: readonly Allocation[]): void {
    e.allocations.length = 0;
    for (const a of allocations) e.allocations.push(a);
    e.state.reset(e.node, e.allocations);
  }

  private touched(e: IndexedNode): void {
    e.changed = true;
    e.snapshot = null;
    this.file(e);
  }

  private file(e: IndexedNode): void {
    const { node } = e;
    if (node.alive) this.classes[(node.reserved ? 2 : 0) + (node.kvm ? 1 : 0)]!.file(e);
    else e.grid?.unfile(e);
  }
}

const NONE: ReadonlySet<string> = new Set();

// The index's list follows the new one: appended claims are added, one removed claim is taken out,
// anything else (reordered, replaced) is recomputed in place.
function follow(e: IndexedNode, next: readonly Allocation[]): void {
  const held = e.allocations;
  if (held === next) return;
  let i = 0;
  const common = Math.min(held.length, next.length);
  while (i < common && held[i] === next[i]) i++;
  if (i === held.length) {
    for (let j = i; j < next.length; j++) {
      held.push(next[j]!);
      e.state.add(next[j]!);
    }
    return;
  }
  if (next.length === held.length - 1 && sameFrom(held, i + 1, next, i)) {
    const [gone] = held.splice(i, 1);
    e.state.remove(gone!, held);
    return;
  }
  held.length = 0;
  for (const a of next) held.push(a);
  e.state.reset(e.node, held);
}

function sameFrom(a: readonly Allocation[], i: number, b: readonly Allocation[], j: number): boolean {
  for (; i < a.length; i++, j++) if (a[i] !== b[j]) return false;
  return true;
}

function current(e: IndexedNode): PlacementNode {
  if (!e.changed) return e.node;
  e.snapshot ??= { ...e.node, allocations: [...e.allocations] };
  return e.snapshot;
}
