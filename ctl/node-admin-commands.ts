import { intFlag, noArgs, onePositional } from './args.js';
import type { Command } from './command.js';
import { formatPairs } from './table.js';

const remove: Command = {
  name: 'nodes remove',
  summary: "revoke a node's credential and forget it; --purge also forgets its VM records (admin)",
  usage: 'vmpoolctl nodes remove NODE [--purge]',
  options: [
    {
      flag: 'purge',
      type: 'boolean',
      help: 'also forget the VM records the node holds (a node gone for good); without it a node with VMs is refused',
    },
  ],
  async run(ctx) {
    const id = onePositional(ctx.args, 'node id');
    const purge = ctx.values.purge === true;
    await ctx.client.removeNode(id, { purge });
    return {
      raw: { id, removed: true, purged: purge },
      human: `removed node ${id}${purge ? ' and forgot its VM records' : ''}; it must enrol again to rejoin\n`,
    };
  },
};

const rotateJoin: Command = {
  name: 'join-token rotate',
  summary: 'issue a new join token for enrolling nodes, printed once; enrolled nodes are unaffected (admin)',
  usage: 'vmpoolctl join-token rotate [--grace-s N]',
  options: [
    {
      flag: 'grace-s',
      type: 'string',
      help: 'seconds the old join token still enrols (default 0: refused at once)',
    },
  ],
  async run(ctx) {
    noArgs(ctx.args);
    const r = await ctx.client.rotateJoinToken({ graceSeconds: intFlag(ctx.values, 'grace-s') });
    const human = formatPairs([
      ['join token', r.join_token],
      ['old token valid until', r.old_token_valid_until],
    ]);
    return {
      raw: r,
      human,
      notes: ['warning: the join token is shown only once; give it to new agents (VMPOOL_JOIN_TOKEN)'],
    };
  },
};

/** NODE_ADMIN_COMMANDS are node removal and join token rotation. */
export const NODE_ADMIN_COMMANDS: readonly Command[] = [remove, rotateJoin];
