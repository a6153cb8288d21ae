import type { z } from 'zod';
import { type OptionMeta, optionMeta } from './config-options.js';

/**
 * renderConfigHelp prints usage, one line per flag of the schema (with its env variable and
 * default) and the settings read only from the environment. Built from the schema, it cannot drift.
 */
export function renderConfigHelp(usage: string, schema: z.ZodObject): string {
  const settings = Object.entries(schema.shape).map(([key, s]) => ({
    key,
    meta: metaOf(key, s as z.ZodType),
  }));
  const flags = settings.filter((s) => s.meta.cli !== false).map((s) => flagRow(s.key, s.meta));
  const envOnly = settings.filter((s) => s.meta.cli === false && s.meta.env).map((s) => envRow(s.meta));
  const environment = envOnly.length ? `\n\nEnvironment:\n${envOnly.join('\n')}` : '';
  return `${usage}\n\nOptions:\n${row('--config FILE', 'JSON file with any option below (keys in camelCase)')}\n${flags.join('\n')}\n${row('--help', 'show this help')}${environment}\n`;
}

function metaOf(key: string, s: z.ZodType): OptionMeta {
  const meta = optionMeta.get(s);
  if (!meta) throw new Error(`config setting ${key} has no option metadata`);
  return meta;
}

function flagRow(key: string, m: OptionMeta): string {
  const extra = [m.env ? `env ${m.env}` : '', m.default !== undefined ? `default ${m.default}` : '']
    .filter(Boolean)
    .join(', ');
  return row(`--${key}${m.kind === 'string' ? ' VALUE' : ''}`, `${m.help}${extra ? ` (${extra})` : ''}`);
}

function envRow(m: OptionMeta): string {
  return row(m.env ?? '', m.secret ? `${m.help} (or ${m.env}_FILE naming a file that holds it)` : m.help);
}

function row(left: string, right: string): string {
  return `  ${left.padEnd(30)} ${right}`;
}
