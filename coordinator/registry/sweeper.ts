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
 * startSweep runs `registry.sweep` every `everyMs` and returns the stop function. A stalled
 * coordinator (GC, CPU starvation, a long task) must not declare live nodes down because their
 * beats are still unread in the sockets, nor delay real downs by the stall. So each sweep runs one
 * full loop turn after its timer: its timer queues an immediate (after this turn's poll phase),
 * which queues the sweep itself for the next turn's check phase, after that turn's poll phase has
 * read every beat that queued up while the loop was stalled. Only that last turn's own length is
 * passed as the sweep's lateness (a long task in its poll phase leaves the beats that arrived
 * during it unread; NodeRegistry.sweep does not count it as silence); a stall before it is not.
 */
export function startSweep(registry: NodeRegistry, o: SweepOptions): () => void {
  let immediate: NodeJS.Immediate | undefined;
  const sweep = (turnFrom: number) => {
    const wentDown = registry.sweep(o.now(), Math.max(0, performance.now() - turnFrom));
    o.after?.(wentDown);
  };
  const timer = setInterval(() => {
    immediate = setImmediate(() => {
      const turnFrom = performance.now();
      immediate = setImmediate(() => sweep(turnFrom));
    });
  }, o.everyMs);
  return () => {
    clearInterval(timer);
    if (immediate) clearImmediate(immediate);
  };
}
