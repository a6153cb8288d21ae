import { ApiError, type CreateVmBody, type VmView } from '../api/index.js';
import type { CoordinatorEvent } from '../shared/events.js';
import type { OptionSpec } from '../shared/config.js';
import { intFlag, noArgs, onePositional, stringFlag } from './args.js';
import type { Command, CommandContext } from './command.js';
import { CtlError } from './errors.js';
import { WATCH_OPTION, watchRedraw } from './watch.js';
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
  {
    flag: 'wait-for',
    type: 'string',
    help: 'running (default) or ready: answer once the guest agent is up and cloud-init finished',
  },
  { flag: 'ready-timeout', type: 'string', help: 'seconds a --wait-for ready may take (default 600)' },
];

/** withReadyFlags adds --wait-for and --ready-timeout to a create body (the coordinator checks the values). */
function withReadyFlags(ctx: CommandContext, body: CreateBody): CreateBody {
  const waitFor = stringFlag(ctx.values, 'wait-for');
  const timeout = intFlag(ctx.values, 'ready-timeout');
  return {
    ...body,
    ...(waitFor !== undefined ? { wait_for: waitFor } : {}),
    ...(timeout !== undefined ? { ready_timeout_s: timeout } : {}),
  };
}

/** requestBody builds the create body from --spec or the VM flags, plus placement flags and notes. */
export function requestBody(ctx: CommandContext): { body: CreateVmBody; notes: string[] } {
  const { body, notes } = untypedBody(ctx);
  // the coordinator validates the body and names every bad field; the CLI passes the user's values through
  return { body: body as CreateVmBody, notes };
}

function untypedBody(ctx: CommandContext): { body: CreateBody; notes: string[] } {
  const { bodies, notes } = untypedBodies(
    ctx,
    [stringFlag(ctx.values, 'spec')].filter((x) => x !== undefined),
  );
  if (bodies.length !== 1)
    throw new CtlError(
      'usage',
      `Cannot dry-run ${bodies.length} specs at once: give one spec file holding one VM`,
    );
  return { body: bodies[0]!, notes };
}

/**
 * untypedBodies builds one body per VM: from the flags, or from spec files where each file holds
 * one seed-003 spec or a JSON array of them (the seed-003 document's specs as one file).
 */
function untypedBodies(
  ctx: CommandContext,
  specs: readonly string[],
): { bodies: CreateBody[]; notes: string[] } {
  const keys = ctx.repeated['ssh-key'] ?? [];
  const tags = ctx.repeated.tag ?? [];
  if (ctx.args.length)
    throw new CtlError('usage', `Cannot run command: unexpected argument ${JSON.stringify(ctx.args[0])}`);
  if (!specs.length)
    return { bodies: [withPlacementFlags(bodyFromFlags(ctx.values, keys), ctx.values, tags)], notes: [] };
  rejectFlagsWithSpec(ctx.values, keys);
  const bodies = specs.flatMap((spec) => {
    const json = readJsonFile(ctx, spec);
    const list = Array.isArray(json) ? json : [json];
    return list.map((one, i) =>
      withPlacementFlags(bodyFromSpec(one, Array.isArray(json) ? `${spec}[${i}]` : spec), ctx.values, tags),
    );
  });
  return { bodies, notes: [SPEC_PIN_NOTE] };
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

/**
 * spawnWatching creates without waiting, then follows the VM's own events (from seq 0, so none is
 * missed) and prints each step as it happens: claimed, placed, sent, running — or the failure.
 */
async function spawnWatching(
  ctx: CommandContext,
  body: CreateVmBody,
  key: string | undefined,
): Promise<VmView> {
  const vm = await ctx.client.createVm(body, { wait: false, idempotencyKey: key });
  if (vm.state !== 'creating') return vm;
  const stop = new AbortController();
  try {
    for await (const item of ctx.client.events({ vm: vm.id, since: 0 }, stop.signal)) {
      if (!('event' in item)) continue;
      const e = item.event;
      const line = stepLine(e);
      if (line) ctx.stderr?.(`  ✓ ${line}\n`);
      if (e.type === 'vm.running' && body.wait_for !== 'ready') break;
      if (e.type === 'vm.guest' && e.state === 'ready') break;
      if (e.type === 'vm.guest' && e.state === 'unready')
        throw new ApiError(
          'guest_not_ready',
          `VM "${vm.name}" runs but its guest is not ready (${e.code})`,
          504,
          {
            code: 'guest_not_ready',
            vm_id: vm.id,
          },
        );
      if (e.type === 'vm.failed')
        throw new ApiError(
          'spawn_failed',
          `Cannot start VM "${vm.name}": the node refused it (${e.code})`,
          502,
          {
            code: 'spawn_failed',
            agent_error: { code: e.code },
          },
        );
    }
  } finally {
    stop.abort();
  }
  return ctx.client.getVm(vm.id);
}

function stepLine(e: CoordinatorEvent): string | null {
  switch (e.type) {
    case 'vm.claimed':
      return 'claimed (name, VMID and quota held)';
    case 'vm.placed':
      return `placed on ${e.node_id}, NUMA node ${e.numa_node} (pass ${e.pass})`;
    case 'vm.spawning':
      return `sent to ${e.node_id}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`;
    case 'vm.running':
      return 'running';
    case 'vm.guest':
      return `guest ${e.state}${e.code ? ` (${e.code})` : ''}`;
    default:
      return null;
  }
}

const spawn: Command = {
  name: 'spawn',
  summary: 'create a VM from flags or a seed-003 spec file',
  usage:
    'vmpoolctl spawn --name N --vcpus N --memory-mb N --disk-gb N --image IMG [options]\n       vmpoolctl spawn --spec FILE [--spec FILE…] [options]   (a file may hold a JSON array of specs)',
  options: [...SPAWN_OPTIONS, ...SPAWN_ONLY_OPTIONS],
  repeatable: ['tag', 'ssh-key', 'spec'],
  async run(ctx) {
    const made = untypedBodies(ctx, ctx.repeated.spec ?? []);
    const { notes } = made;
    const bodies = made.bodies.map((b) => withReadyFlags(ctx, b));
    const key = stringFlag(ctx.values, 'idempotency-key');
    if (key && bodies.length > 1)
      throw new CtlError('usage', 'Cannot use one --idempotency-key for several VMs: spawn them one by one');
    // a ready wait follows events (a held answer past 300 s would meet fetch's own headers timeout)
    const follow = ctx.tty || (bodies[0] as { wait_for?: string } | undefined)?.wait_for === 'ready';
    if (follow && bodies.length === 1 && ctx.values['no-wait'] !== true) {
      for (const n of notes) ctx.stderr?.(`${n}\n`);
      const vm = await spawnWatching(ctx, bodies[0] as CreateVmBody, key);
      return { raw: vm, human: formatVm(vm) };
    }
    const vms: VmView[] = [];
    // in file order; the first refusal stops the rest and says which VMs were made before it
    for (const body of bodies) {
      try {
        vms.push(
          await ctx.client.createVm(body as CreateVmBody, {
            wait: ctx.values['no-wait'] !== true,
            idempotencyKey: key,
          }),
        );
      } catch (err) {
        if (vms.length) notes.push(`note: created before the failure: ${vms.map((v) => v.name).join(', ')}`);
        for (const n of notes) ctx.stderr?.(`${n}\n`);
        throw err;
      }
    }
    if (vms.length === 1) return { raw: vms[0], human: formatVm(vms[0]!), notes };
    return { raw: { vms }, human: formatVmList(vms), notes };
  },
};

const dryRun: Command = {
  name: 'dry-run',
  summary: 'show where a VM would go and why every other node was rejected',
  usage:
    'vmpoolctl dry-run (--spec FILE | --name N --vcpus N --memory-mb N --disk-gb N --image IMG) [options]',
  options: [
    ...SPAWN_OPTIONS,
    { flag: 'nodes', type: 'boolean', help: 'list every node per pass, not the summary' },
  ],
  repeatable: ['tag', 'ssh-key'],
  async run(ctx) {
    const { body, notes } = requestBody(ctx);
    const r = await ctx.client.dryRun(body);
    return {
      raw: r,
      human: formatDryRun(r, { nodes: ctx.values.nodes === true }),
      notes,
      exitCode: r.ok ? 0 : 1,
    };
  },
};

const list: Command = {
  name: 'list',
  summary: 'list VMs (your own, or all with the admin token)',
  usage: 'vmpoolctl list [--node N] [--tenant T] [--state S] [--tag T] [--limit N] [--watch]',
  options: [
    {
      flag: 'limit',
      type: 'string',
      help: 'show at most N VMs, oldest first (default: all, fetched page by page)',
    },
    WATCH_OPTION,
    { flag: 'node', type: 'string', help: 'only VMs on this node' },
    { flag: 'tenant', type: 'string', help: "only this tenant's VMs (admin)" },
    {
      flag: 'state',
      type: 'string',
      help: 'only VMs in this state (running, paused, stopped, creating, failed, lost, unknown)',
    },
    { flag: 'tag', type: 'string', help: 'only VMs carrying this tag' },
  ],
  async run(ctx) {
    noArgs(ctx.args);
    const pick = (f: string) => stringFlag(ctx.values, f);
    const query = { node: pick('node'), tenant: pick('tenant'), state: pick('state'), tag: pick('tag') };
    const max = intFlag(ctx.values, 'limit');
    const paging = max === undefined ? {} : { max };
    if (ctx.values.watch === true) {
      const json = ctx.values.json === true;
      await watchRedraw(ctx, async () => {
        const r = await ctx.client.listVms(query, paging);
        return json ? `${JSON.stringify(r)}\n` : formatVmList(r.vms);
      });
      return { raw: null, human: '', printed: true };
    }
    const r = await ctx.client.listVms(query, paging);
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

const consoleLog: Command = {
  name: 'console-log',
  summary: "show the tail of a VM's serial console (boot evidence), read from its node",
  usage: 'vmpoolctl console-log ID [--bytes N]',
  options: [{ flag: 'bytes', type: 'string', help: 'how many trailing bytes (default 65536)' }],
  async run(ctx) {
    const id = onePositional(ctx.args, 'VM id');
    const r = await ctx.client.consoleLog(id, { bytes: intFlag(ctx.values, 'bytes') });
    return { raw: r, human: r.text.endsWith('\n') || r.text === '' ? r.text : `${r.text}\n` };
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
export const VM_COMMANDS: readonly Command[] = [spawn, dryRun, list, show, consoleLog, destroy];
