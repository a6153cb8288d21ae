import type { OptionSpec } from '../shared/config.js';
import type { VmpoolClient } from '../api/index.js';

/** CommandContext is what a command gets: a client, its parsed flags and its arguments. */
export interface CommandContext {
  client: VmpoolClient;
  /** token is the bearer the coordinator client uses (the broker accepts the same tenant token) */
  token?: string | undefined;
  values: Record<string, string | boolean | undefined>;
  args: string[];
  /** repeated holds every value of the command's repeatable flags (--tag, --ssh-key) */
  repeated: Record<string, string[]>;
  readFile: (path: string) => string;
  /** stdout/stderr write at once, for commands that print as things happen (events --follow) */
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  /** tty: a human watches a terminal (and did not ask for --json) */
  tty?: boolean;
}

/** CommandResult is the raw answer (for --json), its human form, notes for stderr and an exit code. */
export interface CommandResult {
  raw: unknown;
  human: string;
  notes?: string[];
  /** exitCode defaults to 0; a dry-run that fits nowhere or a broken audit chain give 1 */
  exitCode?: number;
  /** printed: the command wrote its output as it went (--watch); raw and human are not printed */
  printed?: boolean;
}

/** Command is one `vmpoolctl` verb (or verb + subverb, such as "tenants create"). */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: readonly OptionSpec[];
  repeatable?: readonly string[];
  run(ctx: CommandContext): Promise<CommandResult>;
}
