import { VM_STAT_KEYS, type VmStatsSchema } from '../../shared/protocol.js';
import type { z } from 'zod';

/** VmStats is one VM's figures (finite numbers under VM_STAT_KEYS), as a beat carries them. */
export type VmStats = z.infer<typeof VmStatsSchema>;

/** VmStatsSample is one beat's per-VM figures, keyed by VM id (the wire form, already checked). */
export type VmStatsSample = Readonly<Record<string, VmStats>>;

const WIDTH = VM_STAT_KEYS.length;

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
    if (!this.sameIds(sample)) this.reshape(sample);
    let row = 0;
    for (const id in sample) {
      const s = sample[id] as Record<string, number | undefined>;
      for (let k = 0; k < WIDTH; k++) this.values[row + k] = s[VM_STAT_KEYS[k]!] ?? Number.NaN;
      row += WIDTH;
    }
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

  private sameIds(sample: VmStatsSample): boolean {
    let i = 0;
    for (const id in sample) if (this.ids[i++] !== id) return false;
    return i === this.ids.length;
  }

  private reshape(sample: VmStatsSample): void {
    this.ids = Object.keys(sample);
    this.values = new Float64Array(this.ids.length * WIDTH);
    this.index = null;
  }
}
