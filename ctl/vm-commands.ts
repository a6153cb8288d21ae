import type { CreateVmBody } from '../api/index.js';
import type { OptionSpec } from '../shared/config.js';
import { noArgs, onePositional, stringFlag } from './args.js';
import type { Command, CommandContext } from './command.js';
import { CtlError } from './errors.js';
import {
  bodyFromFlags,
  bodyFromSpec,
  type CreateBody,
  rejectFlagsWithSpec,
  SPAWN_OPTIONS,
  SPEC_PIN_NOTE,
  withPlacementFlags,
} from './spawn-body.js';
import { formatDryRun, formatVm, formatVmList } from './vm-format.js';

const SPAWN_ONLY_OPTIONS: readonly OptionSpec[] = [
  { flag: 'no-wait', type: 'boolean', help: 'answer once the VM is claimed (202) instead of running' },
  { flag: 'idempotency-key', type: 'string', help: 'retry-safe key: the same key returns the same VM' },
];

/** requestBody builds the create body from --spec or the VM flags, plus placement flags and notes. */
export function requestBody(ctx: CommandContext): { body: CreateVmBody; notes: string[] } {
  const { body, notes } = untypedBody(ctx);
  // the coordinator validates the body and names every bad field; the CLI passes the user's values through
  return { body: body as CreateVmBody, notes };
}

function untypedBody(ctx: CommandContext): { body: CreateBody; notes: string[] } {
  const keys = ctx.repeated['ssh-key'] ?? [];
  const tags = ctx.repeated.tag ?? [];
  if (ctx.args.length)
    throw new CtlError('usage', `Cannot run command: unexpected argument ${JSON.stringify(ctx.args[0])}`);
  const spec = stringFlag(ctx.values, 'spec');
  if (spec === undefined)
    return { body: withPlacementFlags(bodyFromFlags(ctx.values, keys), ctx.values, tags), notes: [] };
  rejectFlagsWithSpec(ctx.values, keys);
  const json = readJsonFile(ctx, spec);
  return { body: withPlacementFlags(bodyFromSpec(json, spec), ctx.values, tags), notes: [SPEC_PIN_NOTE] };
}

function readJsonFile(ctx: CommandContext, path: string): unknown {
  let text: string;
  try {
    text = ctx.readFile(path);
  } catch (err) {
    throw new CtlError('usage', `Cannot read spec ${path}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CtlError('usage', `Cannot read spec ${path}: it is not valid JSON`, { cause: err });
  }
}

const spawn: Command = {
  name: 'spawn',
  summary: 'create a VM from flags or a seed-003 spec file',
  usage:
    'vmpoolctl spawn --name N --vcpus N --memory-mb N --disk-gb N --image IMG [options]\n       vmpoolctl spawn --spec FILE [options]',
  options: [...SPAWN_OPTIONS, ...SPAWN_ONLY_OPTIONS],
  repeatable: ['tag', 'ssh-key'],
  async run(ctx) {
    const { body, notes } = requestBody(ctx);
    const key = stringFlag(ctx.values, 'idempotency-key');
    const vm = await ctx.client.createVm(body, {
      wait: ctx.values['no-wait'] !== true,
      idempotencyKey: key,
    });
    return { raw: vm, human: formatVm(vm), notes };
  },
};

const dryRun: Command = {
  name: 'dry-run',
  summary: 'show where a VM would go and why every other node was rejected',
  usage:
    'vmpoolctl dry-run (--spec FILE | --name N --vcpus N --memory-mb N --disk-gb N --image IMG) [options]',
  options: SPAWN_OPTIONS,
  repeatable: ['tag', 'ssh-key'],
  async run(ctx) {
    const { body, notes } = requestBody(ctx);
    const r = await ctx.client.dryRun(body);
    return { raw: r, human: formatDryRun(r), notes, exitCode: r.ok ? 0 : 1 };
  },
};

const list: Command = {
  name: 'list',
  summary: 'list VMs (your own, or all with the admin token)',
  usage: 'vmpoolctl list [--node N] [--tenant T] [--state S] [--tag T]',
  options: [
    { flag: 'node', type: 'string', help: 'only VMs on this node' },
    { flag: 'tenant', type: 'string', help: "only this tenant's VMs (admin)" },
    {
      flag: 'state',
      type: 'string',
      help: 'only VMs in this state (running, stopped, creating, failed, lost, unknown)',
    },
    { flag: 'tag', type: 'string', help: 'only VMs carrying this tag' },
  ],
  async run(ctx) {
    noArgs(ctx.args);
    const pick = (f: string) => stringFlag(ctx.values, f);
    const r = await ctx.client.listVms({
      node: pick('node'),
      tenant: pick('tenant'),
      state: pick('state'),
      tag: pick('tag'),
    });
    return { raw: r, human: formatVmList(r.vms) };
  },
};

const show: Command = {
  name: 'show',
  summary: 'show one VM: node, NUMA node, pins, emulator cpuset, state',
  usage: 'vmpoolctl show VM   (VM: id, unique id prefix, name, VMID or domain name)',
  options: [],
  async run(ctx) {
    const id = onePositional(ctx.args, 'VM (id, name, VMID or domain name)');
    const vm = await ctx.client.getVm(id);
    return { raw: vm, human: formatVm(vm) };
  },
};

const destroy: Command = {
  name: 'destroy',
  summary: 'destroy a VM and free its threads',
  usage: 'vmpoolctl destroy VM [--keep-disk]   (VM: id, id prefix, name, VMID or domain name)',
  options: [{ flag: 'keep-disk', type: 'boolean', help: 'keep the disk images on the node' }],
  async run(ctx) {
    const id = onePositional(ctx.args, 'VM (id, name, VMID or domain name)');
    const keep = ctx.values['keep-disk'] === true;
    await ctx.client.destroyVm(id, { keepDisk: keep });
    return {
      raw: { id, destroyed: true, disk_kept: keep },
      human: `destroyed ${id}${keep ? ' (disk kept)' : ''}\n`,
    };
  },
};

/** VM_COMMANDS are the tenant-facing VM verbs. */
export const VM_COMMANDS: readonly Command[] = [spawn, dryRun, list, show, destroy];
