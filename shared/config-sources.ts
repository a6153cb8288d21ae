import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { ConfigError } from './config-error.js';
import { type OptionMeta, optionMeta } from './config-options.js';
import { closestName } from './did-you-mean.js';

/** Field is one setting of a config schema: its key (the flag name), value schema and metadata. */
export interface Field {
  readonly key: string;
  readonly schema: z.ZodType;
  readonly meta: OptionMeta;
}

/** RawValue is a value as one source gave it, and the words that name that source in an error. */
export interface RawValue {
  readonly value: unknown;
  readonly source: string;
}

/** Layer is what one source (flags, environment, config file) set, by field key. */
export type Layer = Map<string, RawValue>;

/** ReadText reads a file as UTF-8 text; tests hand in their own. */
export type ReadText = (path: string) => string;

/** readText is the real ReadText. */
export const readText: ReadText = (path) => readFileSync(path, 'utf8');

/** fieldsOf lists a config schema's settings with their metadata. */
export function fieldsOf(schema: z.ZodObject): Field[] {
  return Object.entries(schema.shape).map(([key, s]) => {
    const meta = optionMeta.get(s as z.ZodType);
    if (!meta) throw new Error(`config setting ${key} has no option metadata`);
    return { key, schema: s as z.ZodType, meta };
  });
}

/** fileKey is a setting's config-file key: the flag name in camelCase ("images-dir" → "imagesDir"). */
export function fileKey(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** readArgv parses the command line: the flags set, the --config path and the positionals. */
export function readArgv(
  fields: readonly Field[],
  argv: readonly string[],
): { flags: Layer; configPath: string | undefined; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {
    config: { type: 'string' },
  };
  for (const f of fields)
    if (f.meta.cli !== false)
      options[f.key] = { type: f.meta.kind, ...(f.meta.multiple ? { multiple: true } : {}) };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError(`Cannot parse arguments: ${argvProblem(err as Error, fields)}`, { cause: err });
  }
  const flags: Layer = new Map();
  for (const f of fields) {
    const raw = parsed.values[f.key];
    const value = Array.isArray(raw) ? raw.join(',') : raw;
    if (value !== undefined && f.meta.cli !== false) flags.set(f.key, { value, source: `--${f.key}` });
  }
  return { flags, configPath: parsed.values.config as string | undefined, positionals: parsed.positionals };
}

/** argvProblem shortens node's parseArgs message and suggests the flag an unknown one was meant to be. */
function argvProblem(err: Error, fields: readonly Field[]): string {
  const unknown = /^Unknown option '(--?[^']+)'/.exec(err.message)?.[1];
  if (unknown === undefined) return err.message;
  const flags = fields.filter((f) => f.meta.cli !== false).map((f) => f.key);
  const near = closestName(unknown.replace(/^--?/, ''), [...flags, 'config']);
  return `unknown option ${unknown}${near === undefined ? '' : ` (did you mean --${near}?)`}`;
}

/** readEnv takes each setting's variable; an empty one counts as unset; secrets also read ENV_FILE. */
export function readEnv(fields: readonly Field[], env: NodeJS.ProcessEnv, read: ReadText): Layer {
  const layer: Layer = new Map();
  for (const f of fields) {
    const name = f.meta.env;
    if (name === undefined) continue;
    const direct = env[name];
    const file = f.meta.secret ? env[`${name}_FILE`] : undefined;
    if (direct) layer.set(f.key, { value: f.meta.secret ? direct.trim() : direct, source: name });
    else if (file) layer.set(f.key, secretFromFile(name, file, read));
  }
  return layer;
}

function secretFromFile(name: string, path: string, read: ReadText): RawValue {
  try {
    return { value: read(path).trim(), source: `${name}_FILE ${path}` };
  } catch (err) {
    throw new ConfigError(`Cannot read ${name}_FILE ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** readConfigFile reads a JSON config file; a key that is not a file setting is an error naming it. */
export function readConfigFile(fields: readonly Field[], path: string | undefined, read: ReadText): Layer {
  const layer: Layer = new Map();
  if (path === undefined) return layer;
  const data = parseJsonObject(path, read);
  const byKey = new Map<string, Field>();
  for (const f of fields) for (const k of [fileKey(f.key), f.key]) byKey.set(k, f);
  for (const [key, value] of Object.entries(data)) {
    const f = byKey.get(key);
    const source = `key "${key}" in ${path}`;
    if (f === undefined) throw new ConfigError(`Cannot use ${source}: unknown key${suggest(key, fields)}`);
    if (f.meta.file === false)
      throw new ConfigError(`Cannot use ${source}: not allowed in a config file${elsewhere(f.meta)}`);
    if (layer.has(f.key))
      throw new ConfigError(`Cannot use ${source}: ${layer.get(f.key)?.source} sets it too`);
    layer.set(f.key, { value, source });
  }
  return layer;
}

function parseJsonObject(path: string, read: ReadText): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(read(path));
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new ConfigError(`Cannot read config file ${path}: not a JSON object`);
  return data as Record<string, unknown>;
}

function suggest(key: string, fields: readonly Field[]): string {
  const known = fields.filter((f) => f.meta.file !== false).map((f) => fileKey(f.key));
  const near = closestName(key, known);
  return near === undefined ? '' : ` (did you mean "${near}"?)`;
}

function elsewhere(meta: OptionMeta): string {
  if (meta.env === undefined) return '';
  return meta.secret ? `; set ${meta.env} or ${meta.env}_FILE` : `; set ${meta.env}`;
}
