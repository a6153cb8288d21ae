import { intFlag, noArgs, requiredInt, requiredString } from './args.js';
import type { Command } from './command.js';
import { formatPairs, formatTable } from './table.js';

const tenantsCreate: Command = {
  name: 'tenants create',
  summary: 'create a tenant with a quota and print its token once (admin)',
  usage: 'vmpoolctl tenants create --name N --vcpus N --memory-mb N --vms N [--disk-gb N]',
  options: [
    { flag: 'name', type: 'string', help: 'tenant name' },
    { flag: 'vcpus', type: 'string', help: 'vCPU quota' },
    { flag: 'memory-mb', type: 'string', help: 'memory quota in MiB' },
    { flag: 'vms', type: 'string', help: 'VM count quota' },
    { flag: 'disk-gb', type: 'string', help: 'disk quota in GiB, root + extra disks (default 10240)' },
  ],
  async run(ctx) {
    noArgs(ctx.args);
    const disk = intFlag(ctx.values, 'disk-gb');
    const quota = {
      vcpus: requiredInt(ctx.values, 'vcpus'),
      memory_mb: requiredInt(ctx.values, 'memory-mb'),
      vms: requiredInt(ctx.values, 'vms'),
      ...(disk !== undefined ? { disk_gb: disk } : {}),
    };
    const body = { name: requiredString(ctx.values, 'name'), quota };
    const t = await ctx.client.createTenant(body);
    const human = formatPairs([
      ['tenant', t.id],
      ['name', t.name],
      ['quota', `${t.quota.vcpus} vCPU, ${t.quota.memory_mb} MiB, ${t.quota.vms} VMs`],
      ['token', t.token],
    ]);
    return {
      raw: t,
      human,
      notes: ['warning: the token is shown only once; store it now (the coordinator keeps only its hash)'],
    };
  },
};

const tenantsList: Command = {
  name: 'tenants list',
  summary: 'list tenants and their quotas (admin)',
  usage: 'vmpoolctl tenants list',
  options: [],
  async run(ctx) {
    noArgs(ctx.args);
    const r = await ctx.client.listTenants();
    const rows = r.tenants.map((t) => [
      t.id,
      t.name,
      t.quota.vcpus,
      t.quota.memory_mb,
      t.quota.vms,
      t.created_at,
    ]);
    return { raw: r, human: formatTable(['ID', 'NAME', 'vCPU', 'MEM MB', 'VMS', 'CREATED'], rows) };
  },
};

const audit: Command = {
  name: 'audit',
  summary: 'show the latest audit log entries (admin)',
  usage: 'vmpoolctl audit [--limit N]',
  options: [{ flag: 'limit', type: 'string', help: 'how many entries (default 100)' }],
  async run(ctx) {
    noArgs(ctx.args);
    const limit = intFlag(ctx.values, 'limit');
    const r = await ctx.client.listAudit({ limit });
    const rows = r.entries.map((e) => [e.seq, e.ts, e.tenant, e.vm, e.op, e.result, e.source]);
    return { raw: r, human: formatTable(['SEQ', 'TIME', 'TENANT', 'VM', 'OP', 'RESULT', 'SOURCE'], rows) };
  },
};

const auditVerify: Command = {
  name: 'audit verify',
  summary: 'check the audit log hash chain (admin); exit 1 if it is broken',
  usage: 'vmpoolctl audit verify',
  options: [],
  async run(ctx) {
    noArgs(ctx.args);
    const r = await ctx.client.verifyAudit();
    if (r.ok) return { raw: r, human: `audit log ok: ${r.entries} entries, head ${r.head_hash}\n` };
    const where = r.file ? `${r.file} line ${r.line}` : `line ${r.line}`;
    return { raw: r, human: `audit log BROKEN at ${where}: ${r.reason}\n`, exitCode: 1 };
  },
};

const cluster: Command = {
  name: 'cluster',
  summary: "show the coordinators' leader, term and etcd health (admin)",
  usage: 'vmpoolctl cluster',
  options: [],
  async run(ctx) {
    noArgs(ctx.args);
    const r = await ctx.client.getCluster();
    if (r.store !== 'etcd') return { raw: r, human: 'single coordinator (lowdb store): no election\n' };
    const etcd = r.etcd;
    const human = formatPairs([
      ['store', r.store],
      [
        'this coordinator',
        r.self ? `${r.self.id} ${r.self.url} (${r.self.role}${r.self.ready ? '' : ', not serving'})` : '-',
      ],
      ['leader', r.leader ? `${r.leader.id} ${r.leader.url}` : 'none'],
      ['term', r.leader?.term ?? '-'],
      [
        'etcd',
        etcd?.healthy ? `healthy, raft term ${etcd.raft_term}` : `UNHEALTHY: ${etcd?.error ?? 'no answer'}`,
      ],
      ...(etcd?.members ?? []).map((m): [string, string] => [
        `etcd member ${m.name}`,
        m.client_urls.join(','),
      ]),
    ]);
    return { raw: r, human, ...(etcd?.healthy && r.leader ? {} : { exitCode: 1 }) };
  },
};

/** ADMIN_COMMANDS are tenant management and the audit log. */
export const ADMIN_COMMANDS: readonly Command[] = [tenantsCreate, tenantsList, audit, auditVerify, cluster];
