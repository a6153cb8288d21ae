import {
  type CoordinatorEvent,
  EVENT_VERSION,
  type EventInput,
  type EventType,
} from '../../shared/events.js';
import { IsoClock } from '../../shared/iso-time.js';
import type { Logger } from '../../shared/log.js';

/**
 * EventSubscriber sees every event in emit order, synchronously. It may return a promise (the
 * audit log's durable append); the emitter waits for those, so an answered API call is on disk.
 */
export type EventSubscriber = (event: CoordinatorEvent) => unknown;

/** EventBusOptions injects the clock and the log that records a failing subscriber. */
export interface EventBusOptions {
  now?: () => Date;
  log?: Logger;
  /** startSeq is the seq the first event follows (a restarted coordinator continues past its last one) */
  startSeq?: number;
}

/**
 * EventBus stamps and delivers state-change events. A subscriber that throws (or whose promise
 * rejects) is logged and skipped: it never breaks the emitter nor starves the other subscribers.
 * A required subscriber (the audit log) is different: its failure rejects emit(), so the emitter
 * can undo its change and answer with the error (an API write must not outrun its audit entry).
 */
export class EventBus {
  private readonly subscribers = new Set<EventSubscriber>();
  private readonly required = new Set<EventSubscriber>();
  private seq = 0;
  /** stamp is the `ts` of an event emitted now: the injected clock, or one Date.now() read through a cache */
  private readonly stamp: () => string;

  constructor(private readonly o: EventBusOptions = {}) {
    const now = o.now;
    const clock = new IsoClock();
    this.stamp = now ? () => now().toISOString() : () => clock.iso(Date.now());
    this.seq = o.startSeq ?? 0;
  }

  /** subscribe adds a subscriber and returns the function that removes it. */
  subscribe(fn: EventSubscriber): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** subscribeRequired adds a subscriber whose failure fails emit(); returns its remover. */
  subscribeRequired(fn: EventSubscriber): () => void {
    this.required.add(fn);
    return () => this.required.delete(fn);
  }

  /** on subscribes to one event type only. */
  on<T extends EventType>(type: T, fn: (e: Extract<CoordinatorEvent, { type: T }>) => void): () => void {
    return this.subscribe((e) =>
      e.type === type ? fn(e as Extract<CoordinatorEvent, { type: T }>) : undefined,
    );
  }

  /**
   * emit stamps `v`, `seq` and `ts` onto `input` (pass a fresh object; it becomes the event),
   * delivers at once, and resolves when subscribers' promises settle.
   */
  emit(input: EventInput): Promise<void> {
    const event = stamped(input, ++this.seq, this.stamp());
    let pending: Promise<unknown>[] | undefined;
    let must: Promise<unknown>[] | undefined;
    for (const fn of this.required) {
      const r = callRequired(fn, event);
      if (r === undefined) continue;
      must ??= [];
      must.push(r);
    }
    for (const fn of this.subscribers) {
      try {
        const r = fn(event);
        if (!(r instanceof Promise)) continue;
        pending ??= [];
        pending.push(r.catch((err: unknown) => this.failed(event, err)));
      } catch (err) {
        this.failed(event, err);
      }
    }
    // most events wait for nothing or for the audit append alone: no Promise.all for those
    if (!pending) return must ? settled(must) : RESOLVED;
    // every optional subscriber settles (and logs) first; then the first required failure rejects
    const required = must;
    return Promise.all(pending).then(() => (required ? settled(required) : undefined));
  }

  private failed(event: CoordinatorEvent, err: unknown): void {
    this.o.log?.error('event subscriber failed', { event: event.type, event_seq: event.seq, err });
  }
}

const RESOLVED: Promise<void> = Promise.resolve();
const toVoid = (): void => undefined;

/**
 * stamped adds `v`, `seq` and `ts` after the emitter's fields (the keys and order of
 * `{ ...input, v, seq, ts }`) on the emitter's own object: every emitter builds a fresh one per
 * emit and keeps no reference, so a copy would only cost (on Node 20 a spread followed by new
 * properties takes V8's slow path, ~4 µs and a new hidden class per event; a key-by-key copy of
 * event shapes that vary is a few µs too). An object emitted before is copied first, so the
 * earlier event keeps its stamp.
 */
function stamped(input: EventInput, seq: number, ts: string): CoordinatorEvent {
  const from = input as Record<string, unknown>;
  const event = Object.hasOwn(from, 'seq') ? copyOf(from) : from;
  event.v = EVENT_VERSION;
  event.seq = seq;
  event.ts = ts;
  return event as CoordinatorEvent;
}

function copyOf(from: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in from) if (Object.hasOwn(from, key)) out[key] = from[key];
  return out;
}

/** callRequired is a required subscriber's promise, a rejection when it threw, undefined when it returned no promise. */
function callRequired(fn: EventSubscriber, event: CoordinatorEvent): Promise<unknown> | undefined {
  try {
    const r = fn(event);
    return isThenable(r) ? Promise.resolve(r) : undefined;
  } catch (err) {
    return Promise.reject(err);
  }
}

function isThenable(r: unknown): r is PromiseLike<unknown> {
  return typeof r === 'object' && r !== null && typeof (r as { then?: unknown }).then === 'function';
}

/** settled resolves when every required promise has, and rejects with the first failure. */
function settled(must: Promise<unknown>[]): Promise<void> {
  return (must.length === 1 ? must[0]! : Promise.all(must)).then(toVoid);
}
