import { FNV_PRIME } from './hash.js';

/**
 * NodeSlots numbers an index's nodes (small integers, reused after removal) and keeps, per slot,
 * what a search reads from every node of a wide tie: its id as UTF-16 code units in one flat
 * array and its visited mark. Cells hold slot numbers, so the seeded tie-break over thousands of
 * equally good nodes walks typed arrays instead of chasing every node object and its id string;
 * the object is looked at only for the few nodes that beat the best so far. The ids' common
 * prefix (fleets name hosts alike: `kvm-0123`, `kvm-0124`) is hashed once per search, not per node.
 */
export class NodeSlots<T> {
  /** entries[slot] is the node filed under that slot */
  readonly entries: (T | undefined)[] = [];
  /** visited[slot] is the last search (see nextRun) that looked at the node */
  visited = new Int32Array(64);
  /** codes[start[slot] .. start[slot] + length[slot]) is the node's id, one UTF-16 unit each */
  codes = new Uint16Array(1024);
  start = new Int32Array(64);
  length = new Int32Array(64);
  private used = 0;
  private readonly free: number[] = [];
  private run = 0;
  /** shared is a prefix every id taken so far starts with (ids removed since may have had a longer one) */
  private shared: string | null = null;
  private sharedLength = 0;

  /** take gives a new node a slot and records its id; `put` then files the node under it. */
  take(id: string): number {
    const slot = this.free.pop() ?? this.entries.length;
    if (slot === this.entries.length) this.entries.push(undefined);
    if (slot >= this.visited.length) this.growSlots(slot + 1);
    this.writeId(slot, id);
    this.visited[slot] = 0;
    this.shared = this.shared === null ? id : commonPrefix(this.shared, id);
    this.sharedLength = this.shared.length;
    return slot;
  }

  /** put files the node under the slot `take` gave it. */
  put(slot: number, e: T): void {
    this.entries[slot] = e;
  }

  /** release frees a slot for reuse. */
  release(slot: number): void {
    this.entries[slot] = undefined;
    this.length[slot] = 0;
    this.free.push(slot);
  }

  /** nextRun starts a search: its number marks the slots it visits (never 0, which marks none). */
  nextRun(): number {
    if (this.run === 0x7fffffff) {
      this.visited.fill(0);
      this.run = 0;
    }
    return ++this.run;
  }

  /** hashPrefix is seededHashFrom's state after `prefix` and the ids' shared prefix: `hash` goes on from it. */
  hashPrefix(prefix: number): number {
    const shared = this.shared ?? '';
    let h = prefix;
    for (let i = 0; i < shared.length; i++) h = Math.imul(h ^ shared.charCodeAt(i), FNV_PRIME);
    return h;
  }

  /** hash finishes seededHashFrom(prefix, id) for the slot's id from hashPrefix(prefix) (32-bit FNV-1a, same value). */
  hash(state: number, slot: number): number {
    const codes = this.codes;
    let h = state;
    const end = this.start[slot]! + this.length[slot]!;
    for (let i = this.start[slot]! + this.sharedLength; i < end; i++) {
      h ^= codes[i]!;
      h = Math.imul(h, FNV_PRIME);
    }
    return h >>> 0;
  }

  private writeId(slot: number, id: string): void {
    if (this.used + id.length > this.codes.length) this.compact(id.length);
    const at = this.used;
    for (let i = 0; i < id.length; i++) this.codes[at + i] = id.charCodeAt(i);
    this.start[slot] = at;
    this.length[slot] = id.length;
    this.used += id.length;
  }

  // Ids of released slots leave gaps: copy the live ones into a buffer with room for `more`.
  private compact(more: number): void {
    let live = more;
    for (let s = 0; s < this.entries.length; s++) live += this.length[s]!;
    const next = new Uint16Array(Math.max(1024, live * 2));
    let at = 0;
    for (let s = 0; s < this.entries.length; s++) {
      const n = this.length[s]!;
      next.set(this.codes.subarray(this.start[s]!, this.start[s]! + n), at);
      this.start[s] = at;
      at += n;
    }
    this.codes = next;
    this.used = at;
  }

  private growSlots(min: number): void {
    const size = Math.max(min, this.visited.length * 2);
    const grow = (a: Int32Array): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    this.visited = grow(this.visited);
    this.start = grow(this.start);
    this.length = grow(this.length);
  }
}

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i === a.length ? a : a.slice(0, i);
}
