import { randomBytes, randomUUID } from 'node:crypto';
import type { DeadLetter, WebhookCreateBody, WebhookView } from '../../api/webhooks.js';
import { VmpoolError } from '../../shared/errors.js';
import type { CoordinatorEvent } from '../../shared/events.js';
import type { Logger } from '../../shared/log.js';
import type { EventBus } from '../events/bus.js';
import type { OutboxItem, Subscription, WebhookBook } from './book.js';
import { alertmanagerMessage, cloudEvent, SIGNATURE_HEADER, sign } from './payload.js';

/** DeliveryOptions tune retries; tests shorten the delays and inject fetch and the clock. */
export interface DeliveryOptions {
  /** maxAttempts before a delivery is dead-lettered */
  maxAttempts: number;
  /** baseDelayMs doubles per failed attempt (with up to 20% jitter), capped at maxDelayMs */
  baseDelayMs: number;
  maxDelayMs: number;
  /** timeoutMs bounds one POST */
  timeoutMs: number;
  /** maxOutbox bounds the outbox; past it the oldest delivery is dead-lettered (still listed) */
  maxOutbox: number;
  /** maxDead bounds the dead letters kept */
  maxDead: number;
  /** source is the CloudEvents `source` (the coordinator's URL or name) */
  source: string;
}

/** DEFAULT_DELIVERY: 8 attempts over about 4 minutes, 10 s per POST. */
export const DEFAULT_DELIVERY: DeliveryOptions = {
  maxAttempts: 8,
  baseDelayMs: 2_000,
  maxDelayMs: 300_000,
  timeoutMs: 10_000,
  maxOutbox: 10_000,
  maxDead: 1_000,
  source: 'vmpool-coordinator',
};

/** WebhookDeps injects the book, the bus, the log, fetch and the clock. */
export interface WebhookDeps {
  book: WebhookBook;
  bus: EventBus;
  log: Logger;
  fetch?: typeof fetch;
  now?: () => number;
  delivery?: Partial<DeliveryOptions>;
}

/**
 * Webhooks is the failure notifier: it turns matching bus events into signed deliveries in a
 * durable outbox (the emitting API call waits until the item is on disk), and delivers them per
 * subscription in event order, retrying with exponential backoff and dead-lettering after the last attempt.
 */
export class Webhooks {
  private readonly o: DeliveryOptions;
  private readonly busy = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly d: WebhookDeps) {
    this.o = { ...DEFAULT_DELIVERY, ...d.delivery };
    this.unsubscribe = d.bus.subscribe((e) => this.enqueue(e));
    queueMicrotask(() => this.pump()); // deliveries left over from before a restart
  }

  /** create adds a subscription; the answer holds the secret, shown this once. */
  async create(body: Required<Omit<WebhookCreateBody, 'secret'>> & { secret?: string | undefined }) {
    const sub: Subscription = {
      id: `wh${randomBytes(4).toString('hex')}`,
      url: body.url,
      events: body.events,
      format: body.format,
      secret: body.secret ?? `whsec_${randomBytes(24).toString('base64url')}`,
      created_at: new Date(this.now()).toISOString(),
    };
    this.d.book.state.subscriptions.push(sub);
    this.d.book.statsOf(sub.id);
    await this.d.book.save();
    return { ...this.view(sub), secret: sub.secret };
  }

  /** list shows every subscription with its figures, never a secret. */
  list(): WebhookView[] {
    return this.d.book.state.subscriptions.map((s) => this.view(s));
  }

  /** get shows one subscription. */
  get(id: string): WebhookView {
    return this.view(this.find(id));
  }

  /** remove deletes a subscription and the deliveries it still owed. */
  async remove(id: string): Promise<void> {
    const sub = this.find(id);
    const s = this.d.book.state;
    s.subscriptions = s.subscriptions.filter((x) => x !== sub);
    s.outbox = s.outbox.filter((x) => x.webhook_id !== id);
    delete s.stats[id];
    await this.d.book.save();
  }

  /** deadLetters lists given-up deliveries, newest first, optionally of one subscription. */
  deadLetters(webhookId?: string): DeadLetter[] {
    return this.d.book.state.dead.filter((x) => !webhookId || x.webhook_id === webhookId).reverse();
  }

  /** totals sums every subscription's figures (for /metrics). */
  totals() {
    const all = Object.values(this.d.book.state.stats);
    const sum = (k: 'delivered' | 'failed_attempts' | 'dead') => all.reduce((n, s) => n + s[k], 0);
    return {
      delivered: sum('delivered'),
      failed_attempts: sum('failed_attempts'),
      dead: sum('dead'),
      pending: this.d.book.state.outbox.length,
    };
  }

  /** stop ends deliveries and resolves once the outbox as it stands is on disk (for the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    clearTimeout(this.timer);
    await this.d.book.save();
  }

  private enqueue(e: CoordinatorEvent): Promise<void> | undefined {
    const subs = this.d.book.state.subscriptions.filter((s) => matches(s.events, e.type));
    if (!subs.length) return undefined;
    const s = this.d.book.state;
    for (const sub of subs) {
      const payload =
        sub.format === 'alertmanager' ? alertmanagerMessage(e, this.o.source) : cloudEvent(e, this.o.source);
      s.outbox.push({
        id: randomUUID(),
        webhook_id: sub.id,
        event_seq: e.seq,
        event_type: e.type,
        body: JSON.stringify(payload),
        attempts: 0,
        next_at: this.now(),
        last_error: null,
        created_at: e.ts,
      });
    }
    while (s.outbox.length > this.o.maxOutbox) this.bury(s.outbox[0]!, 'outbox full');
    queueMicrotask(() => this.pump());
    return this.d.book.save();
  }

  /** pump starts delivery for every subscription whose head item is due, and sets the next wake-up. */
  private pump(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const now = this.now();
    let next = Number.POSITIVE_INFINITY;
    for (const sub of this.d.book.state.subscriptions) {
      if (this.busy.has(sub.id)) continue;
      const head = this.d.book.state.outbox.find((x) => x.webhook_id === sub.id);
      if (!head) continue;
      if (head.next_at <= now) void this.deliver(sub, head);
      else next = Math.min(next, head.next_at);
    }
    if (next < Number.POSITIVE_INFINITY)
      this.timer = setTimeout(() => this.pump(), Math.max(0, next - now)).unref();
  }

  private async deliver(sub: Subscription, item: OutboxItem): Promise<void> {
    this.busy.add(sub.id);
    const error = await this.post(sub, item);
    const stats = this.d.book.statsOf(sub.id);
    item.attempts++;
    if (error === null) {
      this.d.book.state.outbox = this.d.book.state.outbox.filter((x) => x !== item);
      stats.delivered++;
    } else {
      stats.failed_attempts++;
      stats.last_error = error;
      item.last_error = error;
      this.d.log.warn('webhook delivery failed', {
        webhook_id: sub.id,
        event_seq: item.event_seq,
        attempt: item.attempts,
        err: error,
      });
      if (item.attempts >= this.o.maxAttempts) this.bury(item, error);
      else item.next_at = this.now() + this.backoff(item.attempts);
    }
    try {
      await this.d.book.save();
    } catch (err) {
      this.d.log.error('webhook outbox write failed', { webhook_id: sub.id, err });
    }
    this.busy.delete(sub.id);
    this.pump();
  }

  private async post(sub: Subscription, item: OutboxItem): Promise<string | null> {
    const t = Math.floor(this.now() / 1000);
    try {
      const res = await (this.d.fetch ?? fetch)(sub.url, {
        method: 'POST',
        headers: {
          'content-type': sub.format === 'cloudevents' ? 'application/cloudevents+json' : 'application/json',
          [SIGNATURE_HEADER]: sign(sub.secret, item.body, t),
          'x-vmpool-delivery': item.id,
          'x-vmpool-attempt': String(item.attempts + 1),
        },
        body: item.body,
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      await res.body?.cancel().catch(() => undefined);
      return res.ok ? null : `HTTP ${res.status}`;
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return cause ?? (err as Error).name ?? 'error';
    }
  }

  private bury(item: OutboxItem, error: string): void {
    const s = this.d.book.state;
    s.outbox = s.outbox.filter((x) => x !== item);
    const stats = this.d.book.statsOf(item.webhook_id);
    stats.dead++;
    s.dead.push({
      id: item.id,
      webhook_id: item.webhook_id,
      event_seq: item.event_seq,
      event_type: item.event_type,
      attempts: item.attempts,
      last_error: error,
      created_at: item.created_at,
      failed_at: new Date(this.now()).toISOString(),
    });
    if (s.dead.length > this.o.maxDead) s.dead.splice(0, s.dead.length - this.o.maxDead);
    this.d.log.error('webhook delivery dead-lettered', {
      webhook_id: item.webhook_id,
      event_seq: item.event_seq,
      attempts: item.attempts,
      err: error,
    });
  }

  private backoff(attempts: number): number {
    const base = Math.min(this.o.maxDelayMs, this.o.baseDelayMs * 2 ** (attempts - 1));
    return Math.round(base * (1 + Math.random() * 0.2));
  }

  private find(id: string): Subscription {
    const sub = this.d.book.state.subscriptions.find((s) => s.id === id);
    if (!sub) throw new VmpoolError('not_found', `Cannot find webhook "${id}"`);
    return sub;
  }

  private view(s: Subscription): WebhookView {
    const stats = { ...this.d.book.statsOf(s.id) };
    stats.pending = this.d.book.state.outbox.filter((x) => x.webhook_id === s.id).length;
    return { id: s.id, url: s.url, events: s.events, format: s.format, created_at: s.created_at, stats };
  }

  private now(): number {
    return this.d.now?.() ?? Date.now();
  }
}

/** matches tells whether an event type is one a subscription lists (exactly, or by a `vm.` prefix). */
export function matches(events: readonly string[], type: string): boolean {
  return events.some((k) => (k.endsWith('.') ? type.startsWith(k) : type === k));
}
