import type { TenantSelf, VmpoolClient } from '../api/index.js';
import { VmpoolError } from '../shared/errors.js';
import { intFlag, onePositional, stringFlag } from './args.js';
import type { Command } from './command.js';
import { CtlError } from './errors.js';
import { formatPairs } from './table.js';

const TENANT_REF = 'TENANT: tenant id or name';
const TOKEN_NOTE =
  'warning: the token is shown only once; store it now (the coordinator keeps only its hash)';

/** resolveTenant turns a tenant id or name into its id (names are unique, case-insensitive). */
export async function resolveTenant(client: VmpoolClient, ref: string): Promise<string> {
  if (/^t[0-9a-f]{8,32}$/.test(ref)) return ref;
  const { tenants } = await client.listTenants();
  const hit = tenants.find((t) => t.name.toLowerCase() === ref.toLowerCase());
  if (!hit)
    throw new VmpoolError('not_found', `Cannot find tenant ${JSON.stringify(ref)}: no tenant has that name`);
  return hit.id;
}

function quotaText(q: TenantSelf['quota']): string {
  return `${q.vcpus} vCPU, ${q.memory_mb} MiB, ${q.vms} VMs, ${q.disk_gb ?? '-'} GiB disk`;
}

const show: Command = {
  name: 'tenants show',
  summary: 'show one tenant with its quota and usage (admin)',
  usage: `vmpoolctl tenants show TENANT   (${TENANT_REF})`,
  options: [],
  async run(ctx) {
    const t = await ctx.client.getTenant(await resolveTenant(ctx.client, onePositional(ctx.args, 'tenant')));
    const u = t.usage;
    const human = formatPairs([
      ['tenant', t.id],
      ['name', t.name],
      ['created', t.created_at],
      ['quota', quotaText(t.quota)],
      ['usage', `${u.vcpus} vCPU, ${u.memory_mb} MiB, ${u.vms} VMs, ${u.disk_gb} GiB disk`],
    ]);
    return { raw: t, human };
  },
};

const QUOTA_FLAGS = [
  ['vcpus', 'vcpus'],
  ['memory-mb', 'memory_mb'],
  ['vms', 'vms'],
  ['disk-gb', 'disk_gb'],
] as const;

const update: Command = {
  name: 'tenants update',
  summary: 'rename a tenant or change some of its quota; other quota fields stay as they are (admin)',
  usage: `vmpoolctl tenants update TENANT [--name N] [--vcpus N] [--memory-mb N] [--vms N] [--disk-gb N] [--force]   (${TENANT_REF})`,
  options: [
    { flag: 'name', type: 'string', help: 'new tenant name (unique)' },
    { flag: 'vcpus', type: 'string', help: 'vCPU quota' },
    { flag: 'memory-mb', type: 'string', help: 'memory quota in MiB' },
    { flag: 'vms', type: 'string', help: 'VM count quota' },
    { flag: 'disk-gb', type: 'string', help: 'disk quota in GiB (root + extra disks)' },
    {
      flag: 'force',
      type: 'boolean',
      help: 'set a quota below what the tenant uses now (its creates are refused until usage drops)',
    },
  ],
  async run(ctx) {
    const id = await resolveTenant(ctx.client, onePositional(ctx.args, 'tenant'));
    const name = stringFlag(ctx.values, 'name');
    const changed = QUOTA_FLAGS.filter(([flag]) => intFlag(ctx.values, flag) !== undefined);
    if (name === undefined && changed.length === 0)
      throw new CtlError('usage', 'Cannot update tenant: give --name or a quota flag');
    let quota: TenantSelf['quota'] | undefined;
    if (changed.length) {
      // the API replaces the whole quota: start from the current one
      const now = await ctx.client.getTenant(id);
      quota = { ...now.quota };
      for (const [flag, key] of changed) quota[key] = intFlag(ctx.values, flag)!;
    }
    const t = await ctx.client.updateTenant(id, {
      ...(name !== undefined ? { name } : {}),
      ...(quota ? { quota } : {}),
      ...(ctx.values.force === true ? { force: true } : {}),
    });
    return {
      raw: t,
      human: formatPairs([
        ['tenant', t.id],
        ['name', t.name],
        ['quota', quotaText(t.quota)],
      ]),
    };
  },
};

const remove: Command = {
  name: 'tenants delete',
  summary: 'delete a tenant that owns no VMs (admin); its token stops working',
  usage: `vmpoolctl tenants delete TENANT   (${TENANT_REF})`,
  options: [],
  async run(ctx) {
    const id = await resolveTenant(ctx.client, onePositional(ctx.args, 'tenant'));
    await ctx.client.deleteTenant(id);
    return { raw: { id, deleted: true }, human: `deleted tenant ${id}\n` };
  },
};

const rotate: Command = {
  name: 'tenants rotate-token',
  summary: 'issue a tenant a new token, printed once; the old one works for --grace-s more (admin)',
  usage: `vmpoolctl tenants rotate-token TENANT [--grace-s N]   (${TENANT_REF})`,
  options: [
    {
      flag: 'grace-s',
      type: 'string',
      help: 'seconds the old token keeps working (default 3600; 0 ends it now)',
    },
  ],
  async run(ctx) {
    const id = await resolveTenant(ctx.client, onePositional(ctx.args, 'tenant'));
    const r = await ctx.client.rotateTenantToken(id, { graceSeconds: intFlag(ctx.values, 'grace-s') });
    const human = formatPairs([
      ['tenant', id],
      ['token', r.token],
      ['old token valid until', r.old_token_valid_until],
    ]);
    return { raw: { id, ...r }, human, notes: [TOKEN_NOTE] };
  },
};

const revoke: Command = {
  name: 'tenants revoke-token',
  summary: "revoke a tenant's token (and any old one still in its grace) at once (admin)",
  usage: `vmpoolctl tenants revoke-token TENANT   (${TENANT_REF})`,
  options: [],
  async run(ctx) {
    const id = await resolveTenant(ctx.client, onePositional(ctx.args, 'tenant'));
    await ctx.client.revokeTenantToken(id);
    return {
      raw: { id, revoked: true },
      human: `revoked the token of ${id}; run tenants rotate-token to issue a new one\n`,
    };
  },
};

/** TENANT_COMMANDS are the tenant lifecycle verbs beside `tenants create|list`. */
export const TENANT_COMMANDS: readonly Command[] = [show, update, remove, rotate, revoke];
