import { VM_STAT_KEYS, type VmStatsSchema } from '../../shared/protocol.js';
import type { z } from 'zod';

/** VmStats is one VM's figures (finite numbers under VM_STAT_KEYS), as a beat carries them. */
export type VmStats = z.infer<typeof VmStatsSchema>;

/** VmStatsSample is one beat's per-VM figures, keyed by VM id (the wire form, already checked). */
export type VmStatsSample = Readonly<Record<string, VmStats>>;

const WIDTH = VM_STAT_KEYS.length;

/**
 * StatsRows is one sample read row by row: the link's beat scanner gives one straight from a beat's
 * bytes (no object per VM, no string per id unless the VM set changed); recordRows adapts a parsed one.
 */
export interface StatsRows {
  /** count is how many VMs the sample names */
  readonly count: number;
  /** sameId says whether row i is VM `id` */
  sameId(i: number, id: string): boolean;
  /** id is row i's VM id */
  id(i: number): string;
  /** value is row i's figure for VM_STAT_KEYS[k], NaN when absent */
  value(i: number, k: number): number;
}

/** recordRows reads a parsed sample (VM id → figures) as rows, in its keys' order. */
export function recordRows(sample: VmStatsSample): StatsRows {
  const ids = Object.keys(sample);
  return {
    count: ids.length,
    sameId: (i, id) => ids[i] === id,
    id: (i) => ids[i]!,
    value: (i, k) => (sample[ids[i]!] as Record<string, number | undefined>)[VM_STAT_KEYS[k]!] ?? Number.NaN,
  };
}

/**
 * VmStatsTable keeps a node's latest per-VM figures as numbers in one Float64Array (NaN: key
 * absent), not as the parsed beat's objects. A sample for the same VMs in the same order is written
 * in place: nothing a beat parsed outlives the beat, so the 10 s sampled figures of a 10,000-node
 * fleet are not promoted to the old generation and collected by a major GC every few seconds.
 */
export class VmStatsTable {
  private ids: string[] = [];
  private values = new Float64Array(0);
  private index: Map<string, number> | null = null;

  /** set replaces every figure with the sample's; VMs absent from it are forgotten. */
  set(sample: VmStatsSample): void {
    this.setRows(recordRows(sample));
  }

  /** setRows is set for a sample read row by row; the same VMs in the same order are written in place. */
  setRows(rows: StatsRows): void {
    if (!this.sameIds(rows)) this.reshape(rows);
    for (let i = 0; i < rows.count; i++)
      for (let k = 0; k < WIDTH; k++) this.values[i * WIDTH + k] = rows.value(i, k);
  }

  /** clear forgets every figure (a v1 beat without stats). */
  clear(): void {
    this.ids = [];
    this.values = new Float64Array(0);
    this.index = null;
  }

  /** get returns one VM's figures as the wire object (built on demand), or undefined when unknown. */
  get(vmId: string): VmStats | undefined {
    this.index ??= new Map(this.ids.map((id, i) => [id, i]));
    const i = this.index.get(vmId);
    if (i === undefined) return undefined;
    const out: Record<string, number> = {};
    for (let k = 0; k < WIDTH; k++) {
      const v = this.values[i * WIDTH + k]!;
      if (!Number.isNaN(v)) out[VM_STAT_KEYS[k]!] = v;
    }
    return out as VmStats;
  }

  /** toRecord returns every VM's figures in the wire form (tests, debugging). */
  toRecord(): Record<string, VmStats> {
    const out: Record<string, VmStats> = {};
    for (const id of this.ids) out[id] = this.get(id)!;
    return out;
  }

  /** size is how many VMs have figures. */
  get size(): number {
    return this.ids.length;
  }

  private sameIds(rows: StatsRows): boolean {
    if (rows.count !== this.ids.length) return false;
    for (let i = 0; i < rows.count; i++) if (!rows.sameId(i, this.ids[i]!)) return false;
    return true;
  }

  private reshape(rows: StatsRows): void {
    this.ids = Array.from({ length: rows.count }, (_, i) => rows.id(i));
    this.values = new Float64Array(this.ids.length * WIDTH);
    this.index = null;
  }
}
