import { readFile } from 'node:fs/promises';
import type { DeadLetter, WebhookStats } from '../../api/webhooks.js';
import { writeFileAtomic } from '../../shared/atomic-file.js';

/** Subscription is one stored webhook; `secret` is kept (it must sign) in a 0600 file, never shown again. */
export interface Subscription {
  id: string;
  url: string;
  events: string[];
  format: 'cloudevents' | 'alertmanager';
  secret: string;
  created_at: string;
}

/** OutboxItem is one delivery owed: the exact body, its attempts so far and when to try next. */
export interface OutboxItem {
  id: string;
  webhook_id: string;
  event_seq: number;
  event_type: string;
  body: string;
  attempts: number;
  next_at: number;
  last_error: string | null;
  created_at: string;
}

/** WebhookState is the whole webhook file: subscriptions, outbox, dead letters and figures. */
export interface WebhookState {
  version: 1;
  subscriptions: Subscription[];
  outbox: OutboxItem[];
  dead: DeadLetter[];
  stats: Record<string, WebhookStats>;
}

/**
 * WebhookBook holds webhook state in memory and on disk (atomic, fsynced writes, one at a time), so
 * the outbox survives a coordinator restart. Mutations apply at once; `save` resolves when durable.
 */
export class WebhookBook {
  private chain: Promise<void> = Promise.resolve();
  private constructor(
    private readonly path: string,
    readonly state: WebhookState,
  ) {}

  /** open reads the file (an empty book when none exists yet). */
  static async open(path: string): Promise<WebhookBook> {
    let state: WebhookState = { version: 1, subscriptions: [], outbox: [], dead: [], stats: {} };
    try {
      state = JSON.parse(await readFile(path, 'utf8')) as WebhookState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new WebhookBook(path, state);
  }

  /** save writes the current state; writes are serialised and each one carries every earlier change. */
  save(): Promise<void> {
    const next = this.chain.then(() =>
      writeFileAtomic(this.path, `${JSON.stringify(this.state)}\n`, { mode: 0o600 }),
    );
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** statsOf returns (creating) one subscription's figures. */
  statsOf(id: string): WebhookStats {
    this.state.stats[id] ??= { delivered: 0, failed_attempts: 0, dead: 0, pending: 0, last_error: null };
    return this.state.stats[id];
  }
}
