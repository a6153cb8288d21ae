import { z } from 'zod';

/**
 * OptionMeta is what one setting of a program's config schema says beside its value schema: where
 * the value may come from (--flag, env, config file) and its help line. The schema key is the flag
 * name ("images-dir"); the config-file key is its camelCase ("imagesDir").
 */
export interface OptionMeta {
  readonly help: string;
  /** kind is how the command line parses the flag: a value, or present/absent */
  readonly kind: 'string' | 'boolean';
  readonly env?: string;
  /** cli false: no --flag (tokens come only from the environment) */
  readonly cli?: boolean;
  /** file false: a config file may not hold it (tokens never go in the config) */
  readonly file?: boolean;
  /** secret: also read from the file named by ENV_FILE, and never echo the value in errors */
  readonly secret?: boolean;
  /** default is shown in --help; the schema's own .default() is what applies */
  readonly default?: string | number | boolean;
  /** multiple: the flag may repeat; its values are joined with commas (same as one comma list) */
  readonly multiple?: boolean;
}

/** optionMeta holds the OptionMeta of every setting schema built below. */
export const optionMeta = z.registry<OptionMeta>();

/** OptionInfo is the part of OptionMeta a program's options file writes by hand. */
export type OptionInfo = Omit<OptionMeta, 'kind' | 'default' | 'secret'>;

const TRUE = /^(1|true|yes|on)$/i;
const FALSE = /^(0|false|no|off)$/i;
// decimal only: "0x10", "1e", "Infinity" and "" are not numbers an operator meant
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** asBool reads env and file strings ("false", "0", "no", "off" and their opposites) as booleans. */
function asBool(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (TRUE.test(v.trim())) return true;
  if (FALSE.test(v.trim())) return false;
  return v;
}

/** asNumber reads a decimal string as a number; anything else is left for the schema to reject. */
function asNumber(v: unknown): unknown {
  return typeof v === 'string' && DECIMAL.test(v.trim()) ? Number(v) : v;
}

/** textOption is a string setting, optional or with a default; check adds rules such as a format. */
export function textOption(
  info: OptionInfo,
  def: string,
  check?: z.ZodType<string>,
): z.ZodDefault<z.ZodType<string>>;
export function textOption(
  info: OptionInfo,
  def?: undefined,
  check?: z.ZodType<string>,
): z.ZodOptional<z.ZodType<string>>;
export function textOption(info: OptionInfo, def?: string, check: z.ZodType<string> = aString()) {
  const meta: OptionMeta = { ...info, kind: 'string', ...(def === undefined ? {} : { default: def }) };
  return (def === undefined ? check.optional() : check.default(def)).register(optionMeta, meta);
}

/** aString is a string schema whose type error reads well in a config message. */
export function aString(): z.ZodString {
  return z.string({ error: 'expected a string' });
}

/** boolOption is an on/off setting, false unless set; "false" from env or file is false. */
export function boolOption(info: OptionInfo) {
  return z
    .preprocess(asBool, z.boolean({ error: 'expected true or false' }))
    .default(false)
    .register(optionMeta, { ...info, kind: 'boolean', default: false });
}

/** numberOption is a numeric setting with a default; check carries its range (see positive, wholeAtLeast). */
export function numberOption(info: OptionInfo, def: number, check: z.ZodNumber) {
  return z
    .preprocess(asNumber, check)
    .default(def)
    .register(optionMeta, { ...info, kind: 'string', default: def });
}

/** positive is any number above 0 (intervals, rates, ratios). */
export function positive(): z.ZodNumber {
  return z.number({ error: 'expected a number' }).positive('expected a number above 0');
}

/** wholeAtLeast is an integer no smaller than min (sizes in MiB, timeouts in ms). */
export function wholeAtLeast(min: number): z.ZodNumber {
  return z
    .number({ error: 'expected a number' })
    .int('expected a whole number')
    .min(min, `expected ${min} or more`);
}

/** choiceOption is one of a fixed set of words, with a default. */
export function choiceOption<const T extends readonly [string, ...string[]]>(
  info: OptionInfo,
  values: T,
  def: T[number],
) {
  return z
    .enum(values, { error: `expected one of ${values.join(', ')}` })
    .default(def as never)
    .register(optionMeta, { ...info, kind: 'string', default: def });
}

/** secretOption is a token read only from ENV or the file named by ENV_FILE, never a flag or config key. */
export function secretOption(info: { env: string; help: string }, check: z.ZodType<string> = aString()) {
  return check.register(optionMeta, { ...info, kind: 'string', cli: false, file: false, secret: true });
}

/** optionalSecret is a secretOption that a program may run without (the agent's non-run commands). */
export function optionalSecret(info: { env: string; help: string }) {
  return aString()
    .optional()
    .register(optionMeta, { ...info, kind: 'string', cli: false, file: false, secret: true });
}
