import type { FreeGrid, IndexedNode } from './free-grid.js';
import { memoryClass } from './free-grid.js';
import { seededHashPrefix } from './hash.js';
import type { NodeSlots } from './node-slots.js';
import { bestNuma, scoreOf } from './rank.js';
import { capacityReason } from './reasons.js';
import type { PlacementConfig, PlacementRequest } from './types.js';
import type { NumaView } from './view.js';

/** SearchScope is one decision's fixed inputs. */
export interface SearchScope {
  readonly pass: 1 | 2;
  readonly request: PlacementRequest;
  readonly config: PlacementConfig;
  readonly exclude: ReadonlySet<string>;
  readonly cordoned: ReadonlySet<string>;
}

const NO_SCOPE: SearchScope = {
  pass: 1,
  request: {
    vm_id: '',
    vcpu_count: 1,
    memory_mb: 0,
    cpu_policy: 'dedicated',
    requires_kvm: false,
    allow_reserved: false,
  },
  config: { ranking: 'pack', cpu_overcommit: 1, seed: 0 },
  exclude: new Set(),
  cordoned: new Set(),
};

/**
 * GridSearch finds the best node of a group of grids, in the order compareOptions gives within one
 * KVM class: score, then the seeded hash, then node id. Pack walks rows (node free threads) upward
 * and spread downward; both stop as soon as no later row can beat or tie the best, so the seeded
 * tie-break still sees every equally good node. One instance is reused for every decision: its
 * fields are the scratch state, so a decision allocates no closures or per-node objects. Cells hold
 * slots: a node's id hash and visited mark come from the index's NodeSlots (flat typed arrays), and
 * its object is read only once it can beat the best so far.
 */
export class GridSearch {
  best: IndexedNode | null = null;
  bestNuma: NumaView | null = null;
  bestScore = 0;
  private bestHash = 0;
  private scope = NO_SCOPE;
  private prefix = 0;
  private minThreads = 0;
  private runId = 0;

  constructor(private readonly slots: NodeSlots<IndexedNode>) {}

  /** run searches the grids; afterwards `best` is the winner (null when nothing fits). */
  run(group: readonly FreeGrid[], scope: SearchScope): IndexedNode | null {
    this.scope = scope;
    this.runId = this.slots.nextRun();
    this.best = null;
    this.bestNuma = null;
    const { request, config } = scope;
    const dedicated = request.cpu_policy === 'dedicated';
    const vcpus = request.vcpu_count;
    this.prefix = this.slots.hashPrefix(seededHashPrefix(config.seed));
    // shared vCPUs may go on loaded threads, so only dedicated requests skip thread-poor NUMA nodes
    this.minThreads = dedicated ? vcpus : 0;
    const memory = memoryClass(request.memory_mb);
    let top = 0;
    for (const g of group) if (g.size > 0) top = Math.max(top, g.rows.length - 1);
    // A node with `free` threads scores free - used, used in [low, vcpus]; dedicated uses exactly vcpus.
    const low = dedicated ? vcpus : 0;
    if (config.ranking === 'pack') {
      for (let free = low; free <= top; free++) {
        if (this.best && free - vcpus > this.bestScore) break;
        this.visit(group, free, memory);
      }
    } else {
      for (let free = top; free >= low; free--) {
        if (this.best && free - low < this.bestScore) break;
        this.visit(group, free, memory);
      }
    }
    this.scope = NO_SCOPE;
    return this.best;
  }

  private visit(group: readonly FreeGrid[], free: number, memory: number): void {
    for (const g of group) {
      const row = g.rows[free];
      if (row === undefined || row.filledCells === 0) continue;
      const { filled, filledIn, cells, threadSlots } = row;
      for (let m = memory; m < row.memoryClasses; m++) {
        if (filledIn[m] === 0) continue;
        const base = m * threadSlots;
        for (let t = this.minThreads; t < threadSlots; t++) {
          if (filled[base + t] === 1) this.consider(cells[base + t]!.items, free);
        }
      }
    }
  }

  private consider(items: readonly number[], free: number): void {
    const { request, config, exclude, cordoned } = this.scope;
    const dedicated = request.cpu_policy === 'dedicated';
    const skip = exclude.size > 0 || cordoned.size > 0;
    // the grids searched already hold only live nodes of the pass's reserved and KVM classes
    const image = request.image;
    const run = this.runId;
    const slots = this.slots;
    const { visited, entries } = slots;
    for (let i = 0; i < items.length; i++) {
      const slot = items[i]!;
      // a node is filed once per NUMA node (twice in one cell when both have the same free threads
      // and memory class), but its outcome depends on the node alone: one look per search is enough
      if (visited[slot] === run) continue;
      visited[slot] = run;
      if (skip && (exclude.has(entries[slot]!.id) || cordoned.has(entries[slot]!.id))) continue;
      const hash = slots.hash(this.prefix, slot);
      // dedicated VMs always use vcpus threads, so the score is known before any capacity check
      if (dedicated && !this.beats(free - request.vcpu_count, hash, slot)) continue;
      const e = entries[slot]!;
      if (image !== undefined && e.node.images !== undefined && !e.node.images.includes(image)) continue;
      if (capacityReason(e.state, request, config) !== null) continue;
      const numa = bestNuma(e.state, request, config);
      if (numa === undefined) continue;
      const score = scoreOf(e.state, numa, request);
      if (!this.beats(score, hash, slot)) continue;
      this.best = e;
      this.bestNuma = numa;
      this.bestScore = score;
      this.bestHash = hash;
    }
  }

  private beats(score: number, hash: number, slot: number): boolean {
    const best = this.best;
    if (best === null) return true;
    if (score !== this.bestScore)
      return this.scope.config.ranking === 'pack' ? score < this.bestScore : score > this.bestScore;
    return hash < this.bestHash || (hash === this.bestHash && this.slots.entries[slot]!.id < best.id);
  }
}
