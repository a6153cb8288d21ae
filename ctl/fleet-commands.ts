import { noArgs, onePositional, requiredInt, stringFlag } from './args.js';
import { CtlError } from './errors.js';
import { WATCH_OPTION, watchRedraw } from './watch.js';
import type { Command } from './command.js';
import { formatBands, formatNode, formatNodes } from './fleet-format.js';
import { formatTable } from './table.js';

const nodes: Command = {
  name: 'nodes',
  summary: 'per-node allocation table (admin)',
  usage: 'vmpoolctl nodes [--watch]',
  options: [WATCH_OPTION],
  async run(ctx) {
    if (ctx.args.length)
      throw new CtlError(
        'usage',
        `Cannot run nodes: unexpected argument ${JSON.stringify(ctx.args[0])}; for one node use: vmpoolctl node ID`,
      );
    if (ctx.values.watch === true) {
      const json = ctx.values.json === true;
      await watchRedraw(ctx, async () => {
        const r = await ctx.client.listNodes();
        return json ? `${JSON.stringify(r)}\n` : formatNodes(r.nodes);
      });
      return { raw: null, human: '', printed: true };
    }
    const r = await ctx.client.listNodes();
    return { raw: r, human: formatNodes(r.nodes) };
  },
};

const node: Command = {
  name: 'node',
  summary: "one node's topology and which VM holds each thread (admin)",
  usage: 'vmpoolctl node ID',
  options: [],
  async run(ctx) {
    const id = onePositional(ctx.args, 'node id');
    const r = await ctx.client.getNode(id);
    return { raw: r, human: formatNode(r) };
  },
};

const bands: Command = {
  name: 'bands',
  summary: 'VMID bands: total, used, available (admin)',
  usage: 'vmpoolctl bands',
  options: [],
  async run(ctx) {
    noArgs(ctx.args);
    const r = await ctx.client.listBands();
    return { raw: r, human: formatBands(r.bands) };
  },
};

const images: Command = {
  name: 'images',
  summary:
    'base images the live nodes hold: format, virtual size, sha256, on how many nodes (which, for the admin)',
  usage: 'vmpoolctl images',
  options: [],
  async run(ctx) {
    noArgs(ctx.args);
    const r = await ctx.client.listImages();
    const rows = r.images.map((i) => [
      i.name,
      i.format ?? '-',
      i.virtual_size === null ? '-' : (i.virtual_size / 1024 ** 3).toFixed(2),
      i.checksums_agree === false ? 'differs between nodes' : (i.sha256?.slice(0, 16) ?? 'pending'),
      i.nodes,
      i.node_ids?.join(',') ?? '-',
    ]);
    return {
      raw: r,
      human: formatTable(['IMAGE', 'FORMAT', 'VSIZE GiB', 'SHA256 (first 16)', 'NODES', 'NODE IDS'], rows),
    };
  },
};

const capacity: Command = {
  name: 'capacity',
  summary: 'how many more VMs of a shape fit now, per node and NUMA node, and what runs out (admin)',
  usage: 'vmpoolctl capacity --vcpus N --memory-mb N [--cpu-policy dedicated|shared]',
  options: [
    { flag: 'vcpus', type: 'string', help: 'vCPUs per VM' },
    { flag: 'memory-mb', type: 'string', help: 'memory per VM in MiB' },
    { flag: 'cpu-policy', type: 'string', help: 'dedicated (default) or shared' },
  ],
  async run(ctx) {
    noArgs(ctx.args);
    const r = await ctx.client.capacity({
      vcpu_count: requiredInt(ctx.values, 'vcpus'),
      memory_mb: requiredInt(ctx.values, 'memory-mb'),
      cpu_policy: stringFlag(ctx.values, 'cpu-policy'),
    });
    const head = `${r.fits}${r.capped ? '+' : ''} more VM(s) of ${r.shape.vcpu_count} vCPU / ${r.shape.memory_mb} MiB (${r.shape.cpu_policy}) fit now\n`;
    const rows = r.nodes.map((n) => [
      n.node_id,
      n.fits,
      Object.entries(n.numa_nodes)
        .map(([k, v]) => `${k}:${v}`)
        .join(' '),
    ]);
    const table = rows.length ? formatTable(['NODE', 'FITS', 'PER NUMA NODE'], rows) : '';
    const why = Object.entries(r.exhausted)
      .map(([k, v]) => `${k} on ${v} node(s)`)
      .join(', ');
    return { raw: r, human: `${head}${table}${why ? `then refused for: ${why}\n` : ''}` };
  },
};

/** FLEET_COMMANDS are the admin views of nodes and VMID bands. */
export const FLEET_COMMANDS: readonly Command[] = [nodes, node, bands, images, capacity];
