import { Counter, Gauge, type Registry } from 'prom-client';
import type { Webhooks } from './dispatcher.js';

type Totals = ReturnType<Webhooks['totals']>;

/**
 * registerWebhookMetrics exposes delivery figures on /metrics, read from the notifier at scrape time:
 * running totals as counters (Prometheus requires `_total` series to be counters), the outbox as a gauge.
 */
export function registerWebhookMetrics(registry: Registry, webhooks: Webhooks): void {
  const total = (name: string, help: string, key: keyof Totals) => {
    let seen = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        // the notifier's figure only grows; the counter takes the difference since the last scrape
        const now = webhooks.totals()[key];
        if (now > seen) this.inc(now - seen);
        seen = Math.max(seen, now);
      },
    });
  };
  total('vmpool_webhook_deliveries_total', 'Webhook deliveries acknowledged by receivers', 'delivered');
  total('vmpool_webhook_failed_attempts_total', 'Webhook delivery attempts that failed', 'failed_attempts');
  total('vmpool_webhook_dead_letters_total', 'Webhook deliveries given up after the last attempt', 'dead');
  new Gauge({
    name: 'vmpool_webhook_outbox',
    help: 'Webhook deliveries waiting in the outbox',
    registers: [registry],
    collect() {
      this.set(webhooks.totals().pending);
    },
  });
}
