import type { NodeRegistry } from './registry.js';

/** SweepOptions: how often to sweep, the clock, and what to do with the nodes that went down. */
export interface SweepOptions {
  everyMs: number;
  /** now is the wall clock the deadlines are kept in; lateness is measured on the monotonic clock */
  now: () => number;
  /** after gets each sweep's newly down ids (logging, retune) */
  after?: (wentDown: string[]) => void;
}

/**
 * startSweep runs `registry.sweep` every `everyMs` and returns the stop function. Two things keep a
 * stalled coordinator from declaring live nodes down:
 * - each run passes its timer's lateness: the time the event loop was stalled (GC, CPU starvation,
 *   a long task), which moves every node's deadline (see NodeRegistry.sweep);
 * - the sweep itself runs in setImmediate, after the poll phase has read the beats that queued up
 *   while the loop was stalled (timers run before I/O in each loop turn).
 */
export function startSweep(registry: NodeRegistry, o: SweepOptions): () => void {
  let due = performance.now() + o.everyMs;
  let immediate: NodeJS.Immediate | undefined;
  const timer = setInterval(() => {
    const t = performance.now();
    const lateMs = Math.max(0, t - due);
    due = t + o.everyMs;
    immediate = setImmediate(() => {
      const wentDown = registry.sweep(o.now(), lateMs);
      o.after?.(wentDown);
    });
  }, o.everyMs);
  return () => {
    clearInterval(timer);
    if (immediate) clearImmediate(immediate);
  };
}
