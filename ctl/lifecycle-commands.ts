import { intFlag, noArgs, onePositional, stringFlag } from './args.js';
import type { Command } from './command.js';
import { CtlError } from './errors.js';
import { formatTable } from './table.js';
import { formatVm } from './vm-format.js';

const VM_REF = 'VM: id, unique id prefix, name, VMID or domain name';

function power(op: 'stop' | 'start' | 'reboot', summary: string): Command {
  return {
    name: op,
    summary,
    usage: `vmpoolctl ${op} VM${op === 'start' ? '' : ' [--timeout-s N]'}   (${VM_REF})`,
    options:
      op === 'start'
        ? []
        : [
            {
              flag: 'timeout-s',
              type: 'string',
              help: 'seconds the guest gets to shut down before it is forced off (default 60)',
            },
          ],
    async run(ctx) {
      const ref = onePositional(ctx.args, 'VM (id, name, VMID or domain name)');
      const vm = await ctx.client.powerVm(ref, op, intFlag(ctx.values, 'timeout-s'));
      return { raw: vm, human: formatVm(vm) };
    },
  };
}

const resize: Command = {
  name: 'resize',
  summary: 'change a stopped VM: vCPUs and memory (re-placed on its node), root disk (grow only)',
  usage: `vmpoolctl resize VM [--vcpus N] [--memory-mb MiB] [--disk-gb GiB]   (${VM_REF})`,
  options: [
    { flag: 'vcpus', type: 'string', help: 'new vCPU count (new pins on the same node)' },
    { flag: 'memory-mb', type: 'string', help: 'new memory in MiB' },
    { flag: 'disk-gb', type: 'string', help: 'new root disk size in GiB; disks only grow' },
  ],
  async run(ctx) {
    const ref = onePositional(ctx.args, 'VM (id, name, VMID or domain name)');
    const body = {
      vcpu_count: intFlag(ctx.values, 'vcpus'),
      memory_mb: intFlag(ctx.values, 'memory-mb'),
      disk_size_gb: intFlag(ctx.values, 'disk-gb'),
    };
    const given = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
    if (!Object.keys(given).length)
      throw new CtlError('usage', 'Cannot resize without a new size: give --vcpus, --memory-mb or --disk-gb');
    const vm = await ctx.client.resizeVm(ref, given);
    return { raw: vm, human: formatVm(vm) };
  },
};

const cordon: Command = {
  name: 'nodes cordon',
  summary: 'close a node to new placements; its VMs keep running (admin)',
  usage: 'vmpoolctl nodes cordon NODE [--reason TEXT]',
  options: [{ flag: 'reason', type: 'string', help: 'why, for the audit log and other admins' }],
  async run(ctx) {
    const id = onePositional(ctx.args, 'node id');
    const r = await ctx.client.cordon(id, true, stringFlag(ctx.values, 'reason'));
    return { raw: r, human: `cordoned ${id}\n` };
  },
};

const uncordon: Command = {
  name: 'nodes uncordon',
  summary: 'open a cordoned node to new placements again (admin)',
  usage: 'vmpoolctl nodes uncordon NODE',
  options: [],
  async run(ctx) {
    const id = onePositional(ctx.args, 'node id');
    const r = await ctx.client.cordon(id, false);
    return { raw: r, human: `uncordoned ${id}\n` };
  },
};

const drain: Command = {
  name: 'nodes drain',
  summary: 'cordon a node and stop its VMs; shows the plan unless --yes (admin)',
  usage: 'vmpoolctl nodes drain NODE [--yes] [--timeout-s N]',
  options: [
    { flag: 'yes', type: 'boolean', help: 'carry the plan out (without it, only the plan is shown)' },
    { flag: 'timeout-s', type: 'string', help: 'seconds each guest gets to shut down (default 60)' },
  ],
  async run(ctx) {
    const id = onePositional(ctx.args, 'node id');
    const yes = ctx.values.yes === true;
    const r = await ctx.client.drain(id, { dryRun: !yes, timeoutS: intFlag(ctx.values, 'timeout-s') });
    const rows = r.steps.map((s) => [s.name, s.tenant, s.id, s.state, s.action, s.result ?? '-']);
    const table = rows.length
      ? formatTable(['VM', 'TENANT', 'ID', 'STATE', 'ACTION', 'RESULT'], rows)
      : 'no VMs on this node\n';
    const head = yes
      ? `drained ${id} (cordoned; policy stop)\n`
      : `plan for draining ${id} (policy stop); run again with --yes to carry it out\n`;
    const failed = r.steps.some((s) => s.result !== undefined && s.result !== 'ok');
    return { raw: r, human: head + table, exitCode: failed ? 1 : 0 };
  },
};

const forget: Command = {
  name: 'nodes forget-vms',
  summary: 'forget every VM of a node that is down for good (admin, audited; needs --yes)',
  usage: 'vmpoolctl nodes forget-vms NODE --yes',
  options: [{ flag: 'yes', type: 'boolean', help: 'confirm: the VMs are dropped from the coordinator' }],
  async run(ctx) {
    const id = onePositional(ctx.args, 'node id');
    if (ctx.values.yes !== true)
      throw new CtlError('usage', `Cannot forget the VMs of ${id} without --yes: they are dropped for good`);
    const r = await ctx.client.forgetNodeVms(id);
    return { raw: r, human: `forgot ${r.forgotten.length} VM(s) of ${id}\n` };
  },
};

const version: Command = {
  name: 'version',
  summary: 'print the vmpoolctl version',
  usage: 'vmpoolctl version   (or vmpoolctl --version)',
  options: [],
  async run(ctx) {
    noArgs(ctx.args);
    return { raw: { version: CTL_VERSION }, human: `vmpoolctl ${CTL_VERSION}\n` };
  },
};

/** CTL_VERSION is vmpoolctl's version (the package's). */
export const CTL_VERSION = '0.1.0';

/** LIFECYCLE_COMMANDS are the day-2 verbs: VM power and node cordon, drain and forget. */
export const LIFECYCLE_COMMANDS: readonly Command[] = [
  power('stop', 'shut a VM down (ACPI, forced after the timeout); it keeps its threads and VMID'),
  power('start', 'start a stopped VM on its node'),
  power('reboot', 'stop then start a VM'),
  resize,
  cordon,
  uncordon,
  drain,
  forget,
  version,
];
