// Helpers of the placement bench's timed phases: the churn of "right after a change", GC accounting.
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { PlacementIndex } from '../coordinator/placement/placement-index.js';
import type { Allocation } from '../coordinator/placement/types.js';
import type { Rng } from './lib/stats.js';

/** Churn changes one node per call: release its first claim, then (next call) claim it back. */
export class Churn {
  private held: { id: string; allocation: Allocation } | null = null;
  constructor(
    private readonly index: PlacementIndex,
    private readonly ids: readonly string[],
    private readonly rng: Rng,
  ) {}

  /** next applies one change to the index. */
  next(): void {
    if (this.held) {
      const node = this.index.get(this.held.id)!;
      this.index.upsert({ ...node, allocations: [...node.allocations, this.held.allocation] });
      this.held = null;
      return;
    }
    const id = this.ids[Math.floor(this.rng() * this.ids.length)]!;
    const node = this.index.get(id)!;
    const first = node.allocations[0];
    this.index.upsert({ ...node, allocations: node.allocations.slice(1) });
    if (first) this.held = { id, allocation: first };
  }
}

/** gcWatch sums GC pause time from now until stop(). */
export function gcWatch(): { stop(): Promise<number> } {
  let total = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) total += e.duration;
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    async stop() {
      // entries are delivered on a later turn of the event loop
      await new Promise((resolve) => setTimeout(resolve, 20));
      observer.disconnect();
      return Math.round(total * 10) / 10;
    },
  };
}

/** settle runs a full garbage collection (V8's gc(), exposed at run time for the bench only). */
export function settle(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
