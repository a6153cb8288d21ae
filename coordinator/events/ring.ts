import type { CoordinatorEvent } from '../../shared/events.js';
import type { EventBus } from './bus.js';

/** RingListener is told of every new event, after it is in the ring. */
export type RingListener = (event: CoordinatorEvent) => void;

/** Backlog is what a reader resuming after `since` gets: the events it missed and whether some fell out. */
export interface Backlog {
  events: CoordinatorEvent[];
  /** gap is true when events after `since` were already dropped from the ring (the reader must re-list) */
  gap: boolean;
  /** oldest is the lowest seq still held (0 when the ring is empty) */
  oldest: number;
}

/**
 * EventRing keeps the latest `size` events of the bus in memory, so a stream reader that lost its
 * connection resumes from its last seq with no gap, and tells live readers of each new event.
 */
export class EventRing {
  private readonly events: CoordinatorEvent[] = [];
  private readonly listeners = new Set<RingListener>();
  /** highest is the last seq seen (before the first event: the bus's starting point) */
  private highest = 0;

  constructor(
    bus: EventBus,
    private readonly size = 10_000,
  ) {
    bus.subscribe((e) => this.add(e));
  }

  /** after returns the events with seq > since, oldest first. */
  after(since: number): Backlog {
    const held = this.events.length > this.size ? this.events.slice(-this.size) : this.events;
    const oldest = held[0]?.seq ?? 0;
    const events = held.filter((e) => e.seq > since);
    const gap = since < this.highest && oldest > since + 1 && held.length >= this.size;
    return { events, gap, oldest };
  }

  /** listen adds a live listener and returns the function that removes it. */
  listen(fn: RingListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** readers is how many live listeners are attached (for metrics and tests). */
  get readers(): number {
    return this.listeners.size;
  }

  private add(e: CoordinatorEvent): void {
    this.events.push(e);
    // trimmed a whole ring at a time: dropping one from the front of 10,000 per event was O(size)
    if (this.events.length >= 2 * this.size) this.events.splice(0, this.events.length - this.size);
    this.highest = e.seq;
    for (const fn of this.listeners) fn(e);
  }
}
