import { Gauge, type Registry } from 'prom-client';
import type { Webhooks } from './dispatcher.js';

/** registerWebhookMetrics exposes delivery figures on /metrics, read from the notifier at scrape time. */
export function registerWebhookMetrics(registry: Registry, webhooks: Webhooks): void {
  const figure = (name: string, help: string, key: keyof ReturnType<Webhooks['totals']>) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(webhooks.totals()[key]);
      },
    });
  figure('vmpool_webhook_deliveries_total', 'Webhook deliveries acknowledged by receivers', 'delivered');
  figure('vmpool_webhook_failed_attempts_total', 'Webhook delivery attempts that failed', 'failed_attempts');
  figure('vmpool_webhook_dead_letters_total', 'Webhook deliveries given up after the last attempt', 'dead');
  figure('vmpool_webhook_outbox', 'Webhook deliveries waiting in the outbox', 'pending');
}
