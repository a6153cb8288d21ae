import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { VmpoolError } from './errors.js';

/** OptionSpec describes one setting: its flag, env variable, type and default. */
export interface OptionSpec {
  readonly flag: string;
  readonly env?: string;
  readonly type: 'string' | 'boolean';
  readonly default?: string | boolean;
  readonly help: string;
}

/** ConfigError reports a bad flag, config file or environment value (exit code 2). */
export class ConfigError extends VmpoolError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super('bad_config', message, opts);
    this.name = 'ConfigError';
  }
}

/** camel turns a flag name ("images-dir") into its config-file key ("imagesDir"). */
export function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** loadOptions merges settings: flag beats environment beats config file beats default. */
export function loadOptions(
  specs: readonly OptionSpec[],
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean' }> = { config: { type: 'string' } };
  for (const s of specs) options[s.flag] = { type: s.type };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError(`Cannot parse arguments: ${(err as Error).message}`, { cause: err });
  }
  const file = readConfigFile(parsed.values.config as string | undefined);
  const values: Record<string, string | boolean | undefined> = {};
  for (const s of specs) values[s.flag] = pick(s, parsed.values[s.flag], env, file);
  return { values, positionals: parsed.positionals };
}

function pick(
  s: OptionSpec,
  flagValue: unknown,
  env: NodeJS.ProcessEnv,
  file: Record<string, unknown>,
): string | boolean | undefined {
  if (flagValue !== undefined) return flagValue as string | boolean;
  const envValue = s.env ? env[s.env] : undefined;
  if (envValue !== undefined && envValue !== '')
    return s.type === 'boolean' ? parseBool(s, envValue) : envValue;
  const fileValue = file[camel(s.flag)] ?? file[s.flag];
  if (fileValue !== undefined) return s.type === 'boolean' ? Boolean(fileValue) : String(fileValue);
  return s.default;
}

function parseBool(s: OptionSpec, v: string): boolean {
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(`Cannot read ${s.env}: expected true or false, got ${JSON.stringify(v)}`);
}

function readConfigFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (typeof data !== 'object' || data === null || Array.isArray(data))
      throw new Error('not a JSON object');
    return data as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** readSecret reads a token from NAME or, failing that, from the file named by NAME_FILE. */
export function readSecret(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const direct = env[name];
  if (direct) return direct.trim();
  const file = env[`${name}_FILE`];
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`Cannot read ${name}_FILE ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** renderHelp prints usage plus one line per option with its env variable and default. */
export function renderHelp(usage: string, specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => {
    const flag = `--${s.flag}${s.type === 'string' ? ' VALUE' : ''}`;
    const extra = [s.env ? `env ${s.env}` : '', s.default !== undefined ? `default ${s.default}` : '']
      .filter(Boolean)
      .join(', ');
    return `  ${flag.padEnd(30)} ${s.help}${extra ? ` (${extra})` : ''}`;
  });
  return `${usage}\n\nOptions:\n  --config FILE                  JSON file with any option below (keys in camelCase)\n${rows.join('\n')}\n  --help                         show this help\n`;
}
