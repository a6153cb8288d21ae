// Every bench's flags in one table: each key is a flag (camelCase here, --kebab-case on the command
// line), each value says how its text becomes a value (bench/lib/option-kinds.ts). A bad flag or value
// is a BenchUsageError, which bench/main.ts prints with the bench's usage line (exit 2), so a typo never
// runs a bench with NaN or a count of 0.
import { parseArgs } from 'node:util';

/** BENCH_USAGE_CODE is the stable code of every bad bench flag or value. */
export const BENCH_USAGE_CODE = 'bad_option';

/** BenchUsageError is a bad bench flag or value: the message names the flag, the value and what is allowed. */
export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
  readonly code = BENCH_USAGE_CODE;
  readonly retryable = false;

  /** toJSON gives the error's code and message; never the stack. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, retryable: this.retryable };
  }
}

/** isBenchUsageError narrows a thrown value to a bad flag or value (compares the code, not the class). */
export function isBenchUsageError(err: unknown): err is BenchUsageError {
  return (err as { code?: unknown } | null)?.code === BENCH_USAGE_CODE && err instanceof Error;
}

/** ParseArgsConfig is how node:util parseArgs reads one flag. */
export type ParseArgsConfig = { type: 'string' } | { type: 'boolean' } | { type: 'string'; multiple: true };

/** OptionKind is one flag: how parseArgs reads it and how its raw value becomes the bench's value. */
export interface OptionKind<T> {
  readonly config: ParseArgsConfig;
  /** read turns what parseArgs gave (undefined when absent) into the value, or throws BenchUsageError */
  readonly read: (flag: string, raw: string | boolean | string[] | undefined) => T;
}

/** OptionTable is a bench's flags by camelCase name. */
export type OptionTable = Record<string, OptionKind<unknown>>;

/** OptionValues is what parseOptions returns for a table: each name with its kind's value type. */
export type OptionValues<S extends OptionTable> = {
  [K in keyof S]: S[K] extends OptionKind<infer T> ? T : never;
};

/** flagName is a table key as typed on the command line, without the dashes: peerTimeoutS → peer-timeout-s. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * parseOptions reads argv against a bench's table. Unknown flags, positionals, a missing value and
 * every bad value throw BenchUsageError; absent flags take their kind's default.
 */
export function parseOptions<S extends OptionTable>(argv: readonly string[], table: S): OptionValues<S> {
  const keys = Object.keys(table);
  const options = Object.fromEntries(keys.map((k) => [flagName(k), table[k]!.config]));
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) throw err;
    throw new BenchUsageError((err as Error).message, { cause: err });
  }
  const read = (k: string) => table[k]!.read(`--${flagName(k)}`, values[flagName(k)] as never);
  return Object.fromEntries(keys.map((k) => [k, read(k)])) as OptionValues<S>;
}
