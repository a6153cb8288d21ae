import { IsoClock } from './iso-time.js';

/** LineEntry is what a JSON line holds: a log.ts LogEntry (not imported: log.ts imports this file). */
export interface LineEntry {
  ts: number;
  level: string;
  component: string;
  msg: string;
  fields: Record<string, unknown>;
}

const CORE_KEYS = new Set(['ts', 'level', 'component', 'msg']);
const clock = new IsoClock();

/**
 * formatJsonLine renders {ts, level, component, msg, ...fields} as one line; a field named like a
 * core key gets a field_ prefix. The line is written as text, field by field (no record object);
 * a field the direct form cannot write byte-for-byte as JSON.stringify would (a core key's name,
 * a bigint, a cycle) sends the whole line through the record form.
 */
export function formatJsonLine(entry: LineEntry): string {
  const ts = clock.iso(entry.ts);
  const fields = fieldsText(entry.fields);
  if (fields === null) return recordLine(entry, ts);
  return `{"ts":"${ts}","level":${cachedJson(entry.level)},"component":${cachedJson(entry.component)},"msg":${cachedJson(entry.msg)}${fields}}\n`;
}

/** fieldsText is `,"key":value` per field, in order, or null when the record form must write them. */
function fieldsText(fields: LineEntry['fields']): string | null {
  let out = '';
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) continue;
    if (CORE_KEYS.has(key) || key === '__proto__') return null;
    const text = valueText(fields[key]);
    if (text === null) return null;
    if (text !== undefined) out += memberPrefix(key) + text;
  }
  return out;
}

/** valueText is JSON.stringify(value) as an object member; undefined to omit it, null when it throws. */
function valueText(value: unknown): string | undefined | null {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      try {
        return JSON.stringify(value);
      } catch {
        return null;
      }
    case 'bigint':
      return null;
    default:
      return undefined; // function, symbol, undefined: JSON leaves the member out
  }
}

// JSON text of levels, components and messages, and `,"key":` of field names: fixed words (log
// messages are fixed text, data goes in fields), so small bounded caches hold them all
const WORD_JSON = new Map<string, string>();
const MEMBER_PREFIX = new Map<string, string>();
const CACHE_MAX = 2048;

function cachedJson(word: string): string {
  return WORD_JSON.get(word) ?? remember(WORD_JSON, word, JSON.stringify(word));
}

function memberPrefix(key: string): string {
  return MEMBER_PREFIX.get(key) ?? remember(MEMBER_PREFIX, key, `,${JSON.stringify(key)}:`);
}

function remember(cache: Map<string, string>, word: string, text: string): string {
  if (cache.size < CACHE_MAX) cache.set(word, text);
  return text;
}

/** recordLine is the record form: one object, core keys first, then each field (renamed on a clash). */
function recordLine(entry: LineEntry, ts: string): string {
  const record: Record<string, unknown> = {
    ts,
    level: entry.level,
    component: entry.component,
    msg: entry.msg,
  };
  for (const key in entry.fields)
    if (Object.hasOwn(entry.fields, key))
      record[CORE_KEYS.has(key) ? `field_${key}` : key] = entry.fields[key];
  return `${safeStringify(record)}\n`;
}

/** safeStringify is JSON.stringify that writes a bigint as text and never throws (a cycle gives a log_error line). */
export function safeStringify(value: unknown): string {
  try {
    // without a replacer first (several times faster); it throws on a bigint or a cycle
    return JSON.stringify(value);
  } catch {
    return stringifyWithFallback(value);
  }
}

function stringifyWithFallback(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    // A circular field must not take the log line (or the process) down with it.
    const { ts, level, component, msg } = value as Record<string, unknown>;
    return JSON.stringify({ ts, level, component, msg, log_error: 'fields not serialisable' });
  }
}
