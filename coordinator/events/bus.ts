import {
  type CoordinatorEvent,
  EVENT_VERSION,
  type EventInput,
  type EventType,
} from '../../shared/events.js';
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
  private readonly now: () => Date;

  constructor(private readonly o: EventBusOptions = {}) {
    this.now = o.now ?? (() => new Date());
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

  /** emit stamps `v`, `seq` and `ts`, delivers at once, and resolves when subscribers' promises settle. */
  emit(input: EventInput): Promise<void> {
    const event = {
      ...input,
      v: EVENT_VERSION,
      seq: ++this.seq,
      ts: this.now().toISOString(),
    } as CoordinatorEvent;
    const pending: Promise<unknown>[] = [];
    const must: Promise<unknown>[] = [];
    for (const fn of this.required) must.push(callRequired(fn, event));
    for (const fn of this.subscribers) {
      try {
        const r = fn(event);
        if (r instanceof Promise) pending.push(r.catch((err: unknown) => this.failed(event, err)));
      } catch (err) {
        this.failed(event, err);
      }
    }
    if (!pending.length && !must.length) return Promise.resolve();
    // every optional subscriber settles (and logs) first; then the first required failure rejects
    return Promise.all(pending)
      .then(() => Promise.all(must))
      .then(() => undefined);
  }

  private failed(event: CoordinatorEvent, err: unknown): void {
    this.o.log?.error('event subscriber failed', { event: event.type, event_seq: event.seq, err });
  }
}

function callRequired(fn: EventSubscriber, event: CoordinatorEvent): Promise<unknown> {
  try {
    return Promise.resolve(fn(event));
  } catch (err) {
    return Promise.reject(err);
  }
}
