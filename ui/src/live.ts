import { readSse } from '../../api/sse.js';
import type { CoordinatorEvent } from '../../shared/events.js';

/** LiveEvent is one coordinator event (shared/events.ts) as the stream delivers it. */
export type LiveEvent = CoordinatorEvent;

/** LiveState is what the reconnect indicator shows. */
export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'polling';

/** LiveOptions wires the feed to the page; fetchFn is injectable for tests. */
export interface LiveOptions {
  token: string;
  onEvent: (e: LiveEvent) => void;
  /** onGap says events were dropped while away: the page should reload what it shows */
  onGap: () => void;
  onState: (s: LiveState) => void;
  fetchFn?: typeof fetch;
}

/**
 * LiveFeed follows GET /v1/events (server-sent events read through fetch, so the bearer token travels
 * in a header; api/sse.ts parses them). The first connection asks for the server's backlog (`since=0`)
 * so VM pages have their history; later ones resume from the last seq seen. A coordinator without
 * the route (404) puts the feed in `polling`: the page then refreshes on its timer alone.
 */
export class LiveFeed {
  private lastSeq = 0;
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
      const outcome = await this.follow().catch(() => 'dropped' as const);
      if (outcome === 'absent') return this.o.onState('polling');
      if (this.stopped) return;
      this.o.onState('reconnecting');
      await new Promise((r) => setTimeout(r, this.delayMs));
      this.delayMs = Math.min(this.delayMs * 2, 8000);
    }
  }

  private async follow(): Promise<'absent' | 'dropped'> {
    this.abort = new AbortController();
    const res = await (this.o.fetchFn ?? fetch)(`/v1/events?since=${this.lastSeq}`, {
      headers: { authorization: `Bearer ${this.o.token}`, accept: 'text/event-stream' },
      signal: this.abort.signal,
    });
    if (res.status === 404) return 'absent';
    if (!res.ok || !res.body) return 'dropped';
    this.o.onState('live');
    this.delayMs = 500;
    for await (const m of readSse(res.body)) {
      if (m.event === 'gap') {
        this.o.onGap();
        continue;
      }
      const e = JSON.parse(m.data) as LiveEvent;
      if (typeof e.seq === 'number') this.lastSeq = e.seq;
      this.o.onEvent(e);
    }
    return 'dropped';
  }
}
