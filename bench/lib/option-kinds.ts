// The kinds of bench flag (see bench/lib/options.ts): whole and decimal numbers within limits, comma
// lists of whole numbers, one of a closed set, free text, repeatable text and booleans. Numbers are
// plain decimal text: Number()'s other readings ('' → 0, '0x10' → 16, '1e3' → 1000) are refused.
import { BenchUsageError, type OptionKind } from './options.js';

/** Limits bound a number: min and max inclusive, above exclusive (a duration that must be > 0). */
export interface Limits {
  readonly min?: number;
  readonly above?: number;
  readonly max?: number;
}

const WHOLE = /^-?\d+$/;
const DECIMAL = /^-?(\d+(\.\d*)?|\.\d+)$/;

/** allowed says in words what a number flag takes: "an integer >= 1", "a number > 0", "integers from -20 to 19". */
export function allowed(what: string, limits: Limits): string {
  const { min, above, max } = limits;
  if (min !== undefined && max !== undefined) return `${what} from ${min} to ${max}`;
  const bounds = [
    min === undefined ? '' : `>= ${min}`,
    above === undefined ? '' : `> ${above}`,
    max === undefined ? '' : `<= ${max}`,
  ];
  return [what, ...bounds].filter(Boolean).join(' ');
}

function within(n: number, { min, above, max }: Limits): boolean {
  return (
    (min === undefined || n >= min) && (above === undefined || n > above) && (max === undefined || n <= max)
  );
}

/** readNumber is the value of one number's text, or undefined when it is not one within the limits. */
function readNumber(text: string, whole: boolean, limits: Limits): number | undefined {
  if (!(whole ? WHOLE : DECIMAL).test(text)) return undefined;
  const n = Number(text);
  const fits = whole ? Number.isSafeInteger(n) : Number.isFinite(n);
  return fits && within(n, limits) ? n : undefined;
}

function numberKind(whole: boolean, rule: Limits & { default?: number }): OptionKind<number | undefined> {
  return {
    config: { type: 'string' },
    read(flag, raw) {
      if (raw === undefined) return rule.default;
      const n = readNumber(String(raw), whole, rule);
      if (n !== undefined) return n;
      const what = allowed(whole ? 'an integer' : 'a number', rule);
      throw new BenchUsageError(`${flag} must be ${what}, got ${JSON.stringify(raw)}`);
    },
  };
}

/** integer is a whole-number flag within limits; without a default an absent flag is undefined. */
export function integer(rule: Limits & { default: number }): OptionKind<number>;
export function integer(rule?: Limits): OptionKind<number | undefined>;
export function integer(rule: Limits & { default?: number } = {}): OptionKind<number | undefined> {
  return numberKind(true, rule);
}

/** decimal is a number flag (fractions allowed: seconds, rates) within limits. */
export function decimal(rule: Limits & { default: number }): OptionKind<number>;
export function decimal(rule?: Limits): OptionKind<number | undefined>;
export function decimal(rule: Limits & { default?: number } = {}): OptionKind<number | undefined> {
  return numberKind(false, rule);
}

/** integers is a comma-separated list of whole numbers within limits (e.g. --agents 1000,3000). */
export function integers(rule: Limits & { default: readonly number[] }): OptionKind<number[]> {
  return {
    config: { type: 'string' },
    read(flag, raw) {
      if (raw === undefined) return [...rule.default];
      const list = String(raw)
        .split(',')
        .map((item) => readNumber(item, true, rule));
      if (list.every((n) => n !== undefined)) return list;
      const what = `a comma-separated list of ${allowed('integers', rule)}`;
      throw new BenchUsageError(`${flag} must be ${what}, got ${JSON.stringify(raw)}`);
    },
  };
}

/** choice is one of a closed set of words; without a default an absent flag is undefined. */
export function choice<const T extends string>(words: readonly T[], fallback: T): OptionKind<T>;
export function choice<const T extends string>(words: readonly T[]): OptionKind<T | undefined>;
export function choice<const T extends string>(words: readonly T[], fallback?: T): OptionKind<T | undefined> {
  return {
    config: { type: 'string' },
    read(flag, raw) {
      if (raw === undefined) return fallback;
      if (words.includes(raw as T)) return raw as T;
      throw new BenchUsageError(`${flag} must be one of ${words.join(', ')}, got ${JSON.stringify(raw)}`);
    },
  };
}

/** text is free text (a path, a URI, node flags); without a default an absent flag is undefined. */
export function text(fallback: string): OptionKind<string>;
export function text(): OptionKind<string | undefined>;
export function text(fallback?: string): OptionKind<string | undefined> {
  return { config: { type: 'string' }, read: (_flag, raw) => (raw === undefined ? fallback : String(raw)) };
}

/** texts is a repeatable text flag (--env K=V --env K2=V2), in the order given. */
export function texts(): OptionKind<string[]> {
  return {
    config: { type: 'string', multiple: true },
    read: (_flag, raw) => (Array.isArray(raw) ? raw.map(String) : []),
  };
}

/** flag is a boolean switch, false unless given. */
export function flag(): OptionKind<boolean> {
  return { config: { type: 'boolean' }, read: (_flag, raw) => raw === true };
}
