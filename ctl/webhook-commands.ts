import { noArgs, onePositional, requiredString, stringFlag } from './args.js';
import type { Command } from './command.js';
import { formatPairs, formatTable } from './table.js';

const create: Command = {
  name: 'webhooks create',
  summary: 'subscribe a URL to events; prints the signing secret once (admin)',
  usage:
    'vmpoolctl webhooks create --endpoint URL [--events vm.failed,vm.lost,node.down] [--format cloudevents|alertmanager]',
  options: [
    { flag: 'endpoint', type: 'string', help: 'receiver URL (http or https)' },
    { flag: 'events', type: 'string', help: 'comma list of event types or prefixes (default: the failures)' },
    { flag: 'format', type: 'string', help: 'cloudevents (default) or alertmanager' },
    { flag: 'secret', type: 'string', help: 'signing secret (16+ characters; default: generated)' },
  ],
  async run(ctx) {
    noArgs(ctx.args);
    const events = stringFlag(ctx.values, 'events')?.split(',').filter(Boolean);
    const format = stringFlag(ctx.values, 'format');
    const secret = stringFlag(ctx.values, 'secret');
    const w = await ctx.client.createWebhook({
      url: requiredString(ctx.values, 'endpoint'),
      ...(events ? { events } : {}),
      ...(format ? { format: format as 'cloudevents' } : {}),
      ...(secret ? { secret } : {}),
    });
    return {
      raw: w,
      human: formatPairs([
        ['webhook', w.id],
        ['url', w.url],
        ['events', w.events.join(',')],
        ['format', w.format],
        ['secret', w.secret],
      ]),
      notes: ['warning: the secret is shown only once; receivers verify x-vmpool-signature with it'],
    };
  },
};

const list: Command = {
  name: 'webhooks list',
  summary: 'webhook subscriptions with delivery figures (admin)',
  usage: 'vmpoolctl webhooks list',
  options: [],
  async run(ctx) {
    noArgs(ctx.args);
    const r = await ctx.client.listWebhooks();
    const rows = r.webhooks.map((w) => [
      w.id,
      w.url,
      w.events.join(','),
      w.format,
      w.stats.delivered,
      w.stats.failed_attempts,
      w.stats.pending,
      w.stats.dead,
      w.stats.last_error,
    ]);
    const head = ['ID', 'URL', 'EVENTS', 'FORMAT', 'DELIVERED', 'FAILED', 'PENDING', 'DEAD', 'LAST ERROR'];
    return { raw: r, human: formatTable(head, rows) };
  },
};

const remove: Command = {
  name: 'webhooks delete',
  summary: 'delete a webhook subscription and what it still owed (admin)',
  usage: 'vmpoolctl webhooks delete ID',
  options: [],
  async run(ctx) {
    const id = onePositional(ctx.args, 'webhook id');
    await ctx.client.deleteWebhook(id);
    return { raw: { id, deleted: true }, human: `deleted ${id}\n` };
  },
};

const dead: Command = {
  name: 'webhooks dead-letters',
  summary: 'deliveries given up after their last attempt (admin)',
  usage: 'vmpoolctl webhooks dead-letters',
  options: [],
  async run(ctx) {
    noArgs(ctx.args);
    const r = await ctx.client.deadLetters();
    const rows = r.dead_letters.map((d) => [
      d.webhook_id,
      d.event_seq,
      d.event_type,
      d.attempts,
      d.last_error,
      d.failed_at,
    ]);
    return {
      raw: r,
      human: formatTable(['WEBHOOK', 'SEQ', 'EVENT', 'ATTEMPTS', 'LAST ERROR', 'GAVE UP'], rows),
    };
  },
};

/** WEBHOOK_COMMANDS manage the failure notifier's subscriptions. */
export const WEBHOOK_COMMANDS: readonly Command[] = [create, list, remove, dead];
