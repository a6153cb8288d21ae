import { BrokerClient, type Reconciliation } from '../api/index.js';
import type { OptionSpec } from '../shared/config.js';
import type { Command, CommandContext } from './command.js';
import { CtlError } from './errors.js';
import { formatTable } from './table.js';

const PERIOD: readonly OptionSpec[] = [
  {
    flag: 'broker',
    env: 'VMPOOL_BROKER_URL',
    type: 'string',
    default: 'http://127.0.0.1:7800',
    help: 'vmpool-broker base URL',
  },
  { flag: 'from', type: 'string', help: 'period start, ISO time (default: the 1st of this month, UTC)' },
  { flag: 'to', type: 'string', help: 'period end, exclusive, ISO time (default: now)' },
];

function period(ctx: CommandContext): { from: string; to: string } {
  if (ctx.args.length)
    throw new CtlError('usage', `Cannot use ${JSON.stringify(ctx.args[0])}: no arguments expected`);
  const now = new Date();
  const from =
    (ctx.values.from as string | undefined) ??
    new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString();
  const to = (ctx.values.to as string | undefined) ?? now.toISOString();
  return { from, to };
}

function client(ctx: CommandContext): BrokerClient {
  try {
    return new BrokerClient(String(ctx.values.broker), ctx.token);
  } catch (err) {
    throw new CtlError('usage', (err as Error).message, { cause: err });
  }
}

function human(r: Reconciliation): string {
  const rows = r.tenants.flatMap((t) =>
    Object.entries(t.models).map(([model, m]) => [
      t.tenant,
      model,
      m.requests,
      m.usage_unknown,
      m.prompt_tokens,
      m.completion_tokens,
      m.total_tokens,
    ]),
  );
  const table = formatTable(
    ['TENANT', 'MODEL', 'REQUESTS', 'UNKNOWN', 'PROMPT', 'COMPLETION', 'TOTAL'],
    rows,
  );
  return `${table}period ${r.from} .. ${r.to}, ${r.records} records, checksum ${r.checksum}\n`;
}

const usage: Command = {
  name: 'usage',
  summary: "your tenant's inference usage from vmpool-broker (tokens per model)",
  usage: 'vmpoolctl usage [--broker URL] [--from ISO] [--to ISO]',
  options: PERIOD,
  async run(ctx) {
    const r = await client(ctx).usage(period(ctx));
    return { raw: r, human: human(r) };
  },
};

const billing: Command = {
  name: 'billing',
  summary: 'billing reconciliation from vmpool-broker: every tenant (broker admin) or one',
  usage: 'vmpoolctl billing [--broker URL] [--from ISO] [--to ISO] [--tenant ID]',
  options: [...PERIOD, { flag: 'tenant', type: 'string', help: 'only this tenant' }],
  async run(ctx) {
    const r = await client(ctx).reconciliation({
      ...period(ctx),
      tenant: ctx.values.tenant as string | undefined,
    });
    return { raw: r, human: human(r) };
  },
};

/** BROKER_COMMANDS are the vmpoolctl verbs that talk to vmpool-broker instead of the coordinator. */
export const BROKER_COMMANDS: readonly Command[] = [usage, billing];
