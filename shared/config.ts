import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { renderConfigHelp } from './config-help.js';
import { boolOption, textOption } from './config-options.js';
import {
  type Field,
  fieldsOf,
  type Layer,
  type RawValue,
  type ReadText,
  readArgv,
  readConfigFile,
  readEnv,
  readText,
} from './config-sources.js';

export { ConfigError } from './config-error.js';

/** ConfigIo is where a program's settings come from besides argv: the environment and the files. */
export interface ConfigIo {
  readonly env?: NodeJS.ProcessEnv;
  readonly readFile?: ReadText;
}

/** LoadedConfig is a validated config and the command line's positional words. */
export interface LoadedConfig<T> {
  readonly config: T;
  readonly positionals: string[];
}

/**
 * loadConfig reads a program's settings from flags, environment and the --config file and checks
 * them against its schema: a flag beats the environment, which beats the file, which beats the
 * default. Every value from every source is checked, so a bad line in the file fails even when a
 * flag overrides it. It only reads; the caller creates nothing until this returns.
 */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  argv: readonly string[],
  io: ConfigIo = {},
): LoadedConfig<z.output<S>> {
  const read = io.readFile ?? readText;
  const fields = fieldsOf(schema);
  const { flags, configPath, positionals } = readArgv(fields, argv);
  const layers = [
    flags,
    readEnv(fields, io.env ?? process.env, read),
    readConfigFile(fields, configPath, read),
  ];
  const merged: Record<string, unknown> = {};
  for (const f of fields) {
    const chosen = pick(f, layers);
    if (chosen !== undefined) merged[f.key] = chosen;
  }
  const result = schema.safeParse(merged);
  if (!result.success) throw missing(fields, result.error);
  return { config: result.data, positionals };
}

/** pick checks the setting's value in every layer and keeps the first (highest-precedence) one. */
function pick(f: Field, layers: readonly Layer[]): unknown {
  let chosen: unknown;
  for (const layer of layers.slice().reverse()) {
    const raw = layer.get(f.key);
    if (raw !== undefined) chosen = check(f, raw);
  }
  return chosen;
}

function check(f: Field, raw: RawValue): unknown {
  const r = f.schema.safeParse(raw.value);
  if (r.success) return r.data;
  const message = r.error.issues[0]?.message ?? 'invalid value';
  const shown = f.meta.secret ? '' : `, got ${JSON.stringify(raw.value)}`;
  throw new ConfigError(`Cannot use ${raw.source}: ${message}${shown}`);
}

/** missing explains the only failure left once every given value passed: a required setting unset. */
function missing(fields: readonly Field[], err: z.ZodError): ConfigError {
  const key = String(err.issues[0]?.path[0] ?? '');
  const f = fields.find((x) => x.key === key);
  if (f === undefined) return new ConfigError(`Cannot load config: ${err.issues[0]?.message ?? 'invalid'}`);
  return new ConfigError(`Cannot start: ${describeSources(f)} is required`);
}

/** describeSources names where a setting can be given, for "is required" messages. */
export function describeSources(f: Field): string {
  const env =
    f.meta.env === undefined ? [] : [f.meta.secret ? `${f.meta.env} (or ${f.meta.env}_FILE)` : f.meta.env];
  return [...(f.meta.cli === false ? [] : [`--${f.key}`]), ...env].join(' or ');
}

/** readSecret reads a token from NAME or, failing that, from the file named by NAME_FILE. */
export function readSecret(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const direct = env[name];
  if (direct) return direct.trim();
  const file = env[`${name}_FILE`];
  if (!file) return undefined;
  try {
    return readText(file).trim();
  } catch (err) {
    throw new ConfigError(`Cannot read ${name}_FILE ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** OptionSpec is the untyped option list vmpoolctl still uses; loadOptions turns it into a schema. */
export interface OptionSpec {
  readonly flag: string;
  readonly env?: string;
  readonly type: 'string' | 'boolean';
  readonly default?: string | boolean;
  readonly help: string;
}

/** specSchema builds a config schema from OptionSpecs: string and boolean settings. */
export function specSchema(specs: readonly OptionSpec[]): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const s of specs) {
    const info = { help: s.help, ...(s.env === undefined ? {} : { env: s.env }) };
    if (s.type === 'boolean') shape[s.flag] = boolOption(info);
    else shape[s.flag] = typeof s.default === 'string' ? textOption(info, s.default) : textOption(info);
  }
  return z.object(shape).strict();
}

/** loadOptions is loadConfig for an OptionSpec list (vmpoolctl): same sources, same precedence. */
export function loadOptions(
  specs: readonly OptionSpec[],
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const { config, positionals } = loadConfig(specSchema(specs), argv, { env });
  return { values: config as Record<string, string | boolean | undefined>, positionals };
}

/** renderHelp prints usage plus one line per OptionSpec (vmpoolctl). */
export function renderHelp(usage: string, specs: readonly OptionSpec[]): string {
  return renderConfigHelp(usage, specSchema(specs));
}
