import { noArgs, onePositional } from './args.js';
import { CtlError } from './errors.js';
import type { Command } from './command.js';
import { formatBands, formatNode, formatNodes } from './fleet-format.js';

const nodes: Command = {
  name: 'nodes',
  summary: 'per-node allocation table (admin)',
  usage: 'vmpoolctl nodes',
  options: [],
  async run(ctx) {
    if (ctx.args.length)
      throw new CtlError(
        'usage',
        `Cannot run nodes: unexpected argument ${JSON.stringify(ctx.args[0])}; for one node use: vmpoolctl node ID`,
      );
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

/** FLEET_COMMANDS are the admin views of nodes and VMID bands. */
export const FLEET_COMMANDS: readonly Command[] = [nodes, node, bands];
