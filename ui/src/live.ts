import { SseParser } from './sse.js';

/** LiveEvent is the part of a coordinator event (shared/events.ts) the page reads. */
export interface LiveEvent {
  type: string;
  seq: number;
  ts: string;
  vm_id?: string;
  name?: string;
  node_id?: string | null;
  [k: string]: unknown;
}

/** LiveState is what the reconnect indicator shows. */
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'polling';

/** LiveOptions wires the feed to the page; fetchFn is injectable for tests. */
export interface LiveOptions {
  token: string;
  onEvent: (e: LiveEvent) => void;
  onState: (s: LiveState) => void;
  fetchFn?: typeof fetch;
}

/**
 * LiveFeed follows GET /v1/events (server-sent events, read through fetch so the bearer token goes in
 * a header), resuming with Last-Event-ID after a drop. A coordinator without the route (404) puts
 * the feed in `polling`: the page then refreshes on its timer alone.
 */
export class LiveFeed {
  private lastId: string | undefined;
  private abort: AbortController | null = null;
  private stopped = false;
  private delayMs = 500;

  constructor(private readonly o: LiveOptions) {}

  /** start connects and keeps reconnecting until stop. */
  start(): void {
    this.o.onState('connecting');
    void this.loop();
  }

  /** stop closes the stream for good. */
  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const outcome = await this.once().catch(() => 'dropped' as const);
      if (outcome === 'absent') return this.o.onState('polling');
      if (this.stopped) return;
      this.o.onState('reconnecting');
      await new Promise((r) => setTimeout(r, this.delayMs));
      this.delayMs = Math.min(this.delayMs * 2, 8000);
    }
  }

  private async once(): Promise<'absent' | 'dropped'> {
    this.abort = new AbortController();
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.o.token}`,
      accept: 'text/event-stream',
    };
    if (this.lastId !== undefined) headers['last-event-id'] = this.lastId;
    const res = await (this.o.fetchFn ?? fetch)('/v1/events', { headers, signal: this.abort.signal });
    if (res.status === 404) return 'absent';
    if (!res.ok || !res.body) return 'dropped';
    this.o.onState('live');
    this.delayMs = 500;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return 'dropped';
      for (const m of parser.push(value)) {
        if (m.id !== undefined) this.lastId = m.id;
        const e = parseEvent(m.data);
        if (e) this.o.onEvent(e);
      }
    }
  }
}

function parseEvent(data: string): LiveEvent | null {
  try {
    const v = JSON.parse(data) as unknown;
    return v && typeof v === 'object' && typeof (v as LiveEvent).type === 'string' ? (v as LiveEvent) : null;
  } catch {
    return null;
  }
}
