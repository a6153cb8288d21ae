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
 * - the sweep itself runs in setImmediate, after the poll phase has read the beats that queued up
 *   while the loop was stalled (timers run before I/O in each loop turn);
 * - each run passes its lateness, from when its timer was due to when the sweep itself runs: a
 *   long task in the poll phase (an I/O callback) leaves the beats that arrived during it unread
 *   until the next turn, so that sweep does not count that stretch as silence (NodeRegistry.sweep).
 *   The next sweep needs no such credit: its own turn polled the sockets first.
 */
export function startSweep(registry: NodeRegistry, o: SweepOptions): () => void {
  let expected = performance.now() + o.everyMs;
  let immediate: NodeJS.Immediate | undefined;
  const timer = setInterval(() => {
    const from = expected;
    expected = performance.now() + o.everyMs;
    immediate = setImmediate(() => {
      // lateness up to the sweep itself: a long task in an I/O callback (the poll phase between this
      // timer and its immediate) leaves beats unread just as a late timer does
      const lateMs = Math.max(0, performance.now() - from);
      const wentDown = registry.sweep(o.now(), lateMs);
      o.after?.(wentDown);
    });
  }, o.everyMs);
  return () => {
    clearInterval(timer);
    if (immediate) clearImmediate(immediate);
  };
}
