import type { CoordinatorEvent } from '../shared/events.js';
import { intFlag, noArgs, stringFlag } from './args.js';
import type { Command } from './command.js';

/** formatEvent renders one event as one line: seq, time, type, then its identifying fields. */
export function formatEvent(e: CoordinatorEvent): string {
  const fields = Object.entries(e)
    .filter(([k]) => !['v', 'seq', 'ts', 'type'].includes(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return `${e.seq} ${e.ts} ${e.type} ${fields.join(' ')}\n`;
}

const events: Command = {
  name: 'events',
  summary: 'show recent events (your VMs, or all for the admin); --follow keeps streaming',
  usage: 'vmpoolctl events [--follow] [--since SEQ] [--kind vm.failed,node.] [--node N] [--vm ID]',
  options: [
    { flag: 'follow', type: 'boolean', help: 'keep the stream open and print events as they happen' },
    { flag: 'since', type: 'string', help: 'resume after this seq (default: the whole recent history)' },
    { flag: 'kind', type: 'string', help: 'comma list of event types or prefixes (vm.failed,node.)' },
    { flag: 'node', type: 'string', help: 'only events of this node (admin)' },
    { flag: 'vm', type: 'string', help: 'only events of this VM id' },
  ],
  async run(ctx) {
    noArgs(ctx.args);
    const follow = ctx.values.follow === true;
    const json = ctx.values.json === true;
    const stream = ctx.client.events({
      since: intFlag(ctx.values, 'since') ?? 0,
      kind: stringFlag(ctx.values, 'kind'),
      node: stringFlag(ctx.values, 'node'),
      vm: stringFlag(ctx.values, 'vm'),
      follow,
    });
    const seen: CoordinatorEvent[] = [];
    for await (const item of stream) {
      if ('gap' in item) {
        ctx.stderr?.(
          `note: events after ${item.gap.since} up to ${item.gap.oldest - 1} are no longer held\n`,
        );
        continue;
      }
      // followed events print as they come; one JSON object a line with --json
      if (follow) ctx.stdout?.(json ? `${JSON.stringify(item.event)}\n` : formatEvent(item.event));
      else seen.push(item.event);
    }
    return { raw: { events: seen }, human: seen.map(formatEvent).join('') || 'no events\n' };
  },
};

/** EVENT_COMMANDS are the event stream verbs. */
export const EVENT_COMMANDS: readonly Command[] = [events];
