import { renderHelp } from '../shared/config.js';
import { closestName } from '../shared/did-you-mean.js';
import { ADMIN_COMMANDS } from './admin-commands.js';
import { BROKER_COMMANDS } from './broker-commands.js';
import { GLOBAL_OPTIONS } from './args.js';
import type { Command } from './command.js';
import { CtlError } from './errors.js';
import { EVENT_COMMANDS } from './event-commands.js';
import { FLEET_COMMANDS } from './fleet-commands.js';
import { LIFECYCLE_COMMANDS } from './lifecycle-commands.js';
import { NODE_ADMIN_COMMANDS } from './node-admin-commands.js';
import { TENANT_COMMANDS } from './tenant-commands.js';
import { VM_COMMANDS } from './vm-commands.js';
import { WEBHOOK_COMMANDS } from './webhook-commands.js';

/** COMMANDS is every vmpoolctl verb, in help order. */
export const COMMANDS: readonly Command[] = [
  ...VM_COMMANDS,
  ...LIFECYCLE_COMMANDS,
  ...FLEET_COMMANDS,
  ...EVENT_COMMANDS,
  ...WEBHOOK_COMMANDS,
  ...ADMIN_COMMANDS,
  ...TENANT_COMMANDS,
  ...NODE_ADMIN_COMMANDS,
  ...BROKER_COMMANDS,
];

/** findCommand resolves "tenants create" before "tenants"; it reports how many words the name used. */
export function findCommand(words: readonly string[]): { command: Command; words: number } {
  const [first, second] = words;
  const two = COMMANDS.find((c) => c.name === `${first} ${second}`);
  if (two) return { command: two, words: 2 };
  const one = COMMANDS.find((c) => c.name === first);
  if (one) return { command: one, words: 1 };
  const subs = COMMANDS.filter((c) => c.name.startsWith(`${first} `)).map((c) => c.name);
  if (subs.length) throw new CtlError('usage', `Cannot run ${first}: expected one of ${subs.join(', ')}`);
  const words1 = [...new Set(COMMANDS.map((c) => c.name.split(' ')[0]!))];
  const near = closestName(first ?? '', words1);
  throw new CtlError(
    'usage',
    `Cannot run ${JSON.stringify(first ?? '')}: unknown command${near ? ` (did you mean ${near}?)` : ''}; see vmpoolctl --help`,
  );
}

/** groupHelp is `vmpoolctl tenants --help` for a word that only names subcommands; null for others. */
export function groupHelp(word: string | undefined): string | null {
  const subs = COMMANDS.filter((c) => c.name.startsWith(`${word} `));
  if (!word || !subs.length || COMMANDS.some((c) => c.name === word)) return null;
  const width = Math.max(...subs.map((c) => c.name.length));
  const list = subs.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  return `Usage: vmpoolctl ${word} <subcommand> [args]\n\nSubcommands (vmpoolctl ${word} <subcommand> --help for each):\n${list}\n`;
}

/** toolHelp is `vmpoolctl --help`: usage, commands, global options, environment and exit codes. */
export function toolHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const list = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n');
  const usage = `Usage: vmpoolctl [--url URL] [--token T] [--json] [--timeout S] <command> [args]

Talks to the vmpool coordinator's HTTP API. Human tables by default; --json prints the raw answer.
The token comes from --token, VMPOOL_TOKEN or the file named by VMPOOL_TOKEN_FILE.
Exit codes: 0 ok, 1 API error (or a dry-run that fits nowhere), 2 usage error, 3 coordinator unreachable or too slow.
Sizes are in MiB (memory) and GiB (disks). A VM is named by its id, a unique id prefix (4+ characters),
its name, its VMID or its domain name.

Commands (vmpoolctl <command> --help for each):
${list}`;
  return renderHelp(usage, GLOBAL_OPTIONS);
}

/** commandHelp is `vmpoolctl <command> --help`: its usage, its flags, then the global ones. */
export function commandHelp(c: Command): string {
  const repeat = c.repeatable?.length ? `\nRepeatable: ${c.repeatable.map((f) => `--${f}`).join(', ')}` : '';
  return renderHelp(`Usage: ${c.usage}\n\n${c.summary}${repeat}`, [...c.options, ...GLOBAL_OPTIONS]);
}
