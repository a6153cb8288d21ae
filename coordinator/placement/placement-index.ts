import { notRun, PassExplainer, wantDetail } from './explain.js';
import { assertValid, decide, failed } from './place.js';
import { seededHashFrom, seededHashPrefix } from './hash.js';
import { type RankedOption, rankNode } from './rank.js';
import { capacityReason, reasonCode, staticReason } from './reasons.js';
import {
  DEFAULT_PLACEMENT_CONFIG,
  DETAIL_AUTO_MAX_NODES,
  type PassReport,
  type PlacementConfig,
  type PlacementNode,
  type PlacementOptions,
  type PlacementRequest,
  type PlacementResult,
} from './types.js';
import { type NodeView, nodeView } from './view.js';

interface Entry {
  node: PlacementNode;
  view: NodeView;
  /** cells are the grid cells the entry sits in (one per NUMA node with threads); empty while down */
  cells: Set<Entry>[];
  grid: FreeGrid | null;
}

/**
 * memoryClass orders free memory on a log scale (4 steps per doubling): a NUMA node whose class is
 * above the request's has more free memory than asked, one below has less.
 */
export function memoryClass(mb: number): number {
  return mb <= 0 ? 0 : Math.floor(Math.log2(mb + 1) * 4);
}

type Cell = Set<Entry>;

/**
 * FreeGrid holds the live nodes of one class (reserved × KVM). Each NUMA node of a node is filed at
 * [node's free threads][NUMA node's memory class][NUMA node's free threads], so a search walks rows
 * in rank order and, inside a row, skips every cell whose NUMA nodes lack the memory or threads.
 */
class FreeGrid {
  readonly rows: Cell[][][] = [];
  size = 0;

  add(e: Entry): void {
    const free = e.view.freeThreads;
    while (this.rows.length <= free) this.rows.push([]);
    const row = this.rows[free]!;
    for (const n of e.view.numa) {
      if (n.threads.length === 0) continue;
      const memory = memoryClass(n.memoryFreeMb);
      while (row.length <= memory) row.push([]);
      const byThreads = row[memory]!;
      while (byThreads.length <= n.freeCount) byThreads.push(new Set());
      const cell = byThreads[n.freeCount]!;
      cell.add(e);
      e.cells.push(cell);
    }
    e.grid = this;
    this.size++;
  }

  delete(e: Entry): void {
    for (const cell of e.cells) cell.delete(e);
    e.cells = [];
    e.grid = null;
    this.size--;
  }
}

/**
 * PlacementIndex keeps the fleet's free capacity up to date as nodes change (upsert on claim,
 * release or heartbeat) and decides exactly like placeVm's full scan while touching only the
 * nodes that can matter. Live nodes sit in four classes (reserved × KVM), each a FreeGrid ordered by the
 * node's free threads, which is what the rank score is made of: pack walks buckets upward and
 * spread downward, and both stop as soon as no later bucket can beat or tie the best option, so
 * the seeded tie-break still sees every equally good node. Failures and dry runs explain with a
 * full, allocation-light pass (counts per reason, never per-node strings unless asked).
 */
export class PlacementIndex {
  private readonly entries = new Map<string, Entry>();
  // class number: (reserved ? 2 : 0) + (kvm ? 1 : 0)
  private readonly classes = [new FreeGrid(), new FreeGrid(), new FreeGrid(), new FreeGrid()];

  /** size is the number of nodes the index holds (live or down). */
  get size(): number {
    return this.entries.size;
  }

  /** upsert adds or replaces a node; nodes are immutable, so pass a new object for every change. */
  upsert(node: PlacementNode): void {
    let e = this.entries.get(node.id);
    if (e?.node === node) return;
    if (e) {
      e.grid?.delete(e);
      e.node = node;
      e.view = nodeView(node);
    } else {
      e = { node, view: nodeView(node), cells: [], grid: null };
      this.entries.set(node.id, e);
    }
    if (node.alive) this.classes[(node.reserved ? 2 : 0) + (node.kvm ? 1 : 0)]!.add(e);
  }

  /** remove forgets a node. */
  remove(nodeId: string): void {
    const e = this.entries.get(nodeId);
    if (!e) return;
    e.grid?.delete(e);
    this.entries.delete(nodeId);
  }

  /** get returns the node as the index holds it. */
  get(nodeId: string): PlacementNode | undefined {
    return this.entries.get(nodeId)?.node;
  }

  /** nodes lists every node in the order they were first added. */
  nodes(): PlacementNode[] {
    return [...this.entries.values()].map((e) => e.node);
  }

  /** place decides like placeVm over the indexed fleet; see PlacementOptions for explain and detail. */
  place(
    request: PlacementRequest,
    config: PlacementConfig = DEFAULT_PLACEMENT_CONFIG,
    opts: PlacementOptions = {},
  ): PlacementResult {
    assertValid(request, config);
    const exclude = opts.exclude ?? NONE;
    let pass: 1 | 2 = 1;
    let best = this.search(1, request, config, exclude);
    if (!best && request.allow_reserved) {
      pass = 2;
      best = this.search(2, request, config, exclude);
    }
    if (best && !opts.explain) return { ok: true, decision: decide(best, request, pass), passes: [] };
    const passes = this.explain(request, config, opts, pass);
    return best ? { ok: true, decision: decide(best, request, pass), passes } : failed(passes);
  }

  private search(
    pass: 1 | 2,
    request: PlacementRequest,
    config: PlacementConfig,
    exclude: ReadonlySet<string>,
  ): RankedOption | undefined {
    const reserved = pass === 1 ? [0] : [0, 2];
    // KVM nodes always outrank TCG ones when KVM is optional, so TCG is searched only as a fallback.
    const kvm = reserved.map((r) => this.classes[r + 1]!);
    const best = this.searchGroup(kvm, pass, request, config, exclude);
    if (best || request.requires_kvm) return best;
    const tcg = reserved.map((r) => this.classes[r]!);
    return this.searchGroup(tcg, pass, request, config, exclude);
  }

  private searchGroup(
    group: readonly FreeGrid[],
    pass: 1 | 2,
    request: PlacementRequest,
    config: PlacementConfig,
    exclude: ReadonlySet<string>,
  ): RankedOption | undefined {
    const dedicated = request.cpu_policy === 'dedicated';
    const vcpus = request.vcpu_count;
    let top = 0;
    for (const g of group) if (g.size > 0) top = Math.max(top, g.rows.length - 1);
    const memory = memoryClass(request.memory_mb);
    const prefix = seededHashPrefix(config.seed);
    const pack = config.ranking === 'pack';
    let best: RankedOption | undefined;
    let bestHash = 0;
    // Same order as compareOptions: KVM is equal within a group, then score, seeded hash, node id.
    const beats = (score: number, hash: number, id: string): boolean => {
      if (!best) return true;
      if (score !== best.score) return pack ? score < best.score : score > best.score;
      return hash < bestHash || (hash === bestHash && id < best.node.id);
    };
    // shared vCPUs may go on loaded threads, so only dedicated requests skip thread-poor NUMA nodes
    const minThreads = dedicated ? vcpus : 0;
    const visit = (free: number): void => {
      for (const g of group) {
        const row = g.rows[free];
        if (row === undefined) continue;
        for (let m = memory; m < row.length; m++) {
          const byThreads = row[m]!;
          for (let t = minThreads; t < byThreads.length; t++) {
            const cell = byThreads[t]!;
            if (cell.size > 0) consider(cell, free);
          }
        }
      }
    };
    const consider = (cell: Cell, free: number): void => {
      for (const e of cell) {
        const { node } = e;
        if (exclude.has(node.id)) continue;
        if (staticReason(node, request, pass) !== null) continue;
        if (capacityReason(e.view, request, config) !== null) continue;
        // dedicated VMs always use vcpus threads, so the score is known before ranking NUMA nodes
        if (dedicated && best && !beats(free - vcpus, seededHashFrom(prefix, node.id), node.id)) continue;
        const option = rankNode(node, e.view, request, config);
        if (!option) continue;
        const hash = seededHashFrom(prefix, node.id);
        if (!beats(option.score, hash, node.id)) continue;
        best = option;
        bestHash = hash;
      }
    };
    // A node with `free` threads scores free - used, used in [low, vcpus]; dedicated uses exactly vcpus.
    const low = dedicated ? vcpus : 0;
    if (config.ranking === 'pack') {
      for (let free = dedicated ? vcpus : 0; free <= top; free++) {
        if (best && free - vcpus > best.score) break;
        visit(free);
      }
    } else {
      for (let free = top; free >= (dedicated ? vcpus : 0); free--) {
        if (best && free - low < best.score) break;
        visit(free);
      }
    }
    return best;
  }

  private explain(
    request: PlacementRequest,
    config: PlacementConfig,
    opts: PlacementOptions,
    lastPass: 1 | 2,
  ): PassReport[] {
    const detail = wantDetail(opts.detail, this.entries.size, DETAIL_AUTO_MAX_NODES);
    const exclude = opts.exclude ?? NONE;
    const one = (pass: 1 | 2): PassReport => {
      const explainer = new PassExplainer(pass, request, config, detail);
      for (const e of this.entries.values()) {
        const node = exclude.has(e.node.id) ? { ...e.node, alive: false } : e.node;
        explainer.add(node, e.view, reasonCode(node, e.view, request, pass, config));
      }
      return explainer.finish();
    };
    return lastPass === 1 ? [one(1), notRun(2)] : [one(1), one(2)];
  }
}

const NONE: ReadonlySet<string> = new Set();
