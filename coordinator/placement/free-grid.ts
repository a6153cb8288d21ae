import type { NodeState } from './node-state.js';
import type { NodeSlots } from './node-slots.js';
import type { Allocation, PlacementNode } from './types.js';

/** Cell holds the indexed nodes (their slots) with one NUMA node of the same (node free, memory class, NUMA free). */
export interface Cell {
  readonly items: number[];
  readonly row: Row;
  readonly memory: number;
  readonly threads: number;
}

/** IndexedNode is one node as the index keeps it: its facts, its claims, its state and where it is filed. */
export interface IndexedNode {
  readonly id: string;
  /** slot is the node's number in its index's NodeSlots (what cells hold) */
  readonly slot: number;
  /** node carries the static facts (liveness, flags, topology); its allocations may be stale */
  node: PlacementNode;
  /** allocations are the claims held now, owned by the index */
  readonly allocations: Allocation[];
  state: NodeState;
  /** changed says claims were applied since `node` was upserted, so `node.allocations` is stale */
  changed: boolean;
  snapshot: PlacementNode | null;
  grid: FreeGrid | null;
  /** cells[i] / pos[i]: the cell NUMA node i sits in and its position there */
  readonly cells: (Cell | null)[];
  readonly pos: number[];
}

/**
 * memoryClass orders free memory on a log scale (4 steps per doubling): a NUMA node whose class is
 * above the request's has more free memory than asked, one below has less.
 */
export function memoryClass(mb: number): number {
  return mb <= 0 ? 0 : Math.floor(Math.log2(mb + 1) * 4);
}

/**
 * Row holds the cells of one node free-thread count, laid out flat by [memory class][NUMA free]
 * with a byte per cell saying whether it holds anything, so a search scans one small typed array
 * instead of touching every (mostly empty) cell. It also counts its filled cells, in all and per
 * memory class, so a search skips an empty row or memory class without scanning its bytes (a fleet
 * that fills nodes one by one leaves most rows empty).
 */
export class Row {
  memoryClasses = 0;
  threadSlots = 0;
  filled = new Uint8Array(0);
  /** filledCells counts the filled cells of the row; filledIn[m] those of memory class m */
  filledCells = 0;
  filledIn = new Int32Array(0);
  cells: (Cell | undefined)[] = [];

  /** cell returns the cell for a NUMA node's memory class and free threads, growing the row as needed. */
  cell(memory: number, threads: number): Cell {
    if (memory >= this.memoryClasses || threads >= this.threadSlots) this.grow(memory + 1, threads + 1);
    const k = memory * this.threadSlots + threads;
    let cell = this.cells[k];
    if (!cell) {
      cell = { items: [], row: this, memory, threads };
      this.cells[k] = cell;
    }
    return cell;
  }

  /** mark keeps the cell's filled byte and the row's counts in step with its item count. */
  mark(cell: Cell): void {
    const k = cell.memory * this.threadSlots + cell.threads;
    const now = cell.items.length > 0 ? 1 : 0;
    if (this.filled[k] === now) return;
    this.filled[k] = now;
    const step = now === 1 ? 1 : -1;
    this.filledCells += step;
    this.filledIn[cell.memory]! += step;
  }

  private grow(memory: number, threads: number): void {
    const old = this.cells;
    this.memoryClasses = Math.max(memory, this.memoryClasses);
    this.threadSlots = Math.max(threads, this.threadSlots);
    this.filled = new Uint8Array(this.memoryClasses * this.threadSlots);
    this.filledCells = 0;
    this.filledIn = new Int32Array(this.memoryClasses);
    this.cells = [];
    for (const cell of old) {
      if (!cell) continue;
      this.cells[cell.memory * this.threadSlots + cell.threads] = cell;
      this.mark(cell);
    }
  }
}

/**
 * FreeGrid holds the live nodes of one class (reserved × KVM). Each NUMA node of a node is filed at
 * rows[node's free threads] in the cell of [NUMA node's memory class][NUMA node's free threads], so a
 * search walks rows in rank order and, inside a row, skips every cell whose NUMA nodes lack the
 * memory or threads. Cells are plain arrays (swap-remove with positions kept per node), so refiling
 * allocates nothing once the grid has grown to the fleet's shape.
 */
export class FreeGrid {
  readonly rows: Row[] = [];
  size = 0;

  constructor(private readonly slots: NodeSlots<IndexedNode>) {}

  /** file puts each NUMA node of the node in its cell, moving only what changed. */
  file(e: IndexedNode): void {
    if (e.grid !== this) {
      e.grid?.unfile(e);
      e.grid = this;
      this.size++;
    }
    const { numa, freeThreads } = e.state;
    for (let i = 0; i < numa.length; i++) {
      const n = numa[i]!;
      const target = n.threads.length === 0 ? null : this.cell(freeThreads, n.memoryFreeMb, n.freeCount);
      const current = e.cells[i] ?? null;
      if (current === target) continue;
      if (current) this.take(e, i);
      if (target) {
        e.cells[i] = target;
        e.pos[i] = target.items.length;
        target.items.push(e.slot);
        if (target.items.length === 1) target.row.mark(target);
      }
    }
  }

  /** unfile takes the node out of every cell. */
  unfile(e: IndexedNode): void {
    for (let i = 0; i < e.cells.length; i++) if (e.cells[i]) this.take(e, i);
    e.grid = null;
    this.size--;
  }

  private cell(free: number, memoryMb: number, numaFree: number): Cell {
    const rows = this.rows;
    while (rows.length <= free) rows.push(new Row());
    return rows[free]!.cell(memoryClass(memoryMb), numaFree);
  }

  // Swap-remove: the cell's last entry moves into the freed position and its own position is fixed.
  private take(e: IndexedNode, i: number): void {
    const cell = e.cells[i]!;
    const items = cell.items;
    const at = e.pos[i]!;
    e.cells[i] = null;
    const last = this.slots.entries[items.pop()!]!;
    const from = items.length;
    if (from === 0) cell.row.mark(cell);
    if (at === from) return;
    items[at] = last.slot;
    for (let j = 0; j < last.cells.length; j++) {
      if (last.cells[j] === cell && last.pos[j] === from) {
        last.pos[j] = at;
        return;
      }
    }
  }
}
