import type { OptionSpec } from '../shared/config.js';
import { CtlError } from './errors.js';

/** GLOBAL_OPTIONS are accepted before or after any command. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'url',
    env: 'VMPOOL_URL',
    type: 'string',
    default: 'http://127.0.0.1:7700',
    help: 'coordinator base URL',
  },
  {
    flag: 'token',
    env: 'VMPOOL_TOKEN',
    type: 'string',
    help: 'bearer token (or VMPOOL_TOKEN_FILE naming a file)',
  },
  { flag: 'json', type: 'boolean', default: false, help: 'print the raw response JSON' },
  {
    flag: 'timeout',
    env: 'VMPOOL_TIMEOUT',
    type: 'string',
    help: 'seconds to wait for each answer (default: as long as the coordinator takes)',
  },
  { flag: 'version', type: 'boolean', help: 'print the vmpoolctl version' },
];

/** GLOBAL_VALUE_FLAGS take a value, so the word after them is not the command. */
const GLOBAL_VALUE_FLAGS = new Set(['--url', '--token', '--config', '--timeout']);

/** findCommandWords returns the first two positional words (command, maybe subcommand). */
export function findCommandWords(argv: readonly string[]): string[] {
  const words: string[] = [];
  for (let i = 0; i < argv.length && words.length < 2; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      if (words.length > 0) break; // command flags follow; a later word is an argument, not a subcommand
      if (GLOBAL_VALUE_FLAGS.has(arg)) i++;
      continue;
    }
    words.push(arg);
  }
  return words;
}

/** takeRepeated pulls every `--flag V` / `--flag=V` of repeatable flags out of argv. */
export function takeRepeated(
  argv: readonly string[],
  flags: readonly string[],
): { rest: string[]; values: Record<string, string[]> } {
  const values: Record<string, string[]> = Object.fromEntries(flags.map((f) => [f, []]));
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const flag = flags.find((f) => arg === `--${f}` || arg.startsWith(`--${f}=`));
    if (flag === undefined) {
      rest.push(arg);
    } else if (arg.includes('=')) {
      values[flag]!.push(arg.slice(flag.length + 3));
    } else {
      const next = argv[++i];
      if (next === undefined) throw new CtlError('usage', `Cannot parse arguments: --${flag} needs a value`);
      values[flag]!.push(next);
    }
  }
  return { rest, values };
}

/** intFlag reads a whole-number flag; absent gives undefined, anything else not an integer is a usage error. */
export function intFlag(values: Record<string, unknown>, flag: string): number | undefined {
  const v = values[flag];
  if (v === undefined) return undefined;
  const text = String(v).trim();
  if (!/^\d+$/.test(text))
    throw new CtlError('usage', `Cannot read --${flag}: expected a whole number, got ${JSON.stringify(v)}`);
  return Number(text);
}

/** requiredInt is intFlag for flags the command cannot do without. */
export function requiredInt(values: Record<string, unknown>, flag: string): number {
  const n = intFlag(values, flag);
  if (n === undefined) throw new CtlError('usage', `Cannot run command: --${flag} is required`);
  return n;
}

/** requiredString reads a text flag the command cannot do without. */
export function requiredString(values: Record<string, unknown>, flag: string): string {
  const v = values[flag];
  if (typeof v !== 'string' || v === '')
    throw new CtlError('usage', `Cannot run command: --${flag} is required`);
  return v;
}

/** stringFlag reads an optional text flag. */
export function stringFlag(values: Record<string, unknown>, flag: string): string | undefined {
  const v = values[flag];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** onePositional reads the single argument a command such as `show ID` takes. */
export function onePositional(args: readonly string[], what: string): string {
  if (args.length !== 1)
    throw new CtlError('usage', `Cannot run command: expected one ${what}, got ${args.length}`);
  return args[0]!;
}

/** noArgs refuses extra words after a command that takes none. */
export function noArgs(args: readonly string[]): void {
  if (args.length)
    throw new CtlError('usage', `Cannot run command: unexpected argument ${JSON.stringify(args[0])}`);
}
