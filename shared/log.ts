import { stderrLines } from './line-buffer.js';
import { formatJsonLine, safeStringify } from './log-line.js';
import { startJournalThread } from './journal-thread.js';
import { journalFrame, journalSend, underJournald } from './systemd.js';

/** LogLevel is the severity of one entry, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** LogComponent names the program that logs; it becomes SYSLOG_IDENTIFIER vmpool-<component>. */
export type LogComponent = 'agent' | 'coordinator' | 'ctl' | 'broker';

/** LogFields is the structured data of an entry: snake_case keys such as node_id, vm_name, err. */
export type LogFields = Record<string, unknown>;

/** LogEntry is what a sink receives: fields already serialised (err → {message, code}). */
export interface LogEntry {
  ts: number;
  level: LogLevel;
  component: LogComponent;
  msg: string;
  fields: LogFields;
}

/** LogSink writes one entry somewhere: stderr JSON, journald, or a test array. */
export type LogSink = (entry: LogEntry) => void;

/** Logger logs fixed message text with data in fields; child() adds fields to every entry. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

/** LoggerOptions configures createLogger; level defaults to VMPOOL_LOG_LEVEL, sink to journald or stderr. */
export interface LoggerOptions {
  component: LogComponent;
  fields?: LogFields;
  sink?: LogSink;
  level?: LogLevel;
  env?: Readonly<Record<string, string | undefined>>;
  now?: () => number;
  /** under journald, send from a worker thread (a busy service: see journal-thread.ts) */
  journalThread?: boolean;
}

export { formatJsonLine } from './log-line.js';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** parseLogLevel reads a level name case-insensitively; unknown or missing gives info. */
export function parseLogLevel(value: string | undefined): LogLevel {
  const lower = value?.trim().toLowerCase();
  return lower !== undefined && lower in LEVEL_RANK ? (lower as LogLevel) : 'info';
}

/** serializeError turns a thrown value into {message, code} so it survives JSON and journald. */
export function serializeError(err: unknown): { message: string; code?: string } {
  if (!(err instanceof Error)) return { message: String(err) };
  const code = (err as { code?: unknown }).code;
  return code === undefined ? { message: err.message } : { message: err.message, code: String(code) };
}

/** serializeFields replaces Error values and copies err.code into error_code when none is given. */
export function serializeFields(fields: LogFields, bound?: LogFields): LogFields {
  const out: LogFields = {};
  // the same keys, order and values as serialising `{ ...bound, ...fields }`, without the copy
  if (bound)
    for (const key in bound)
      if (Object.hasOwn(bound, key)) put(out, key, Object.hasOwn(fields, key) ? fields[key] : bound[key]);
  for (const key in fields)
    if (Object.hasOwn(fields, key) && !(bound && Object.hasOwn(bound, key))) put(out, key, fields[key]);
  const errCode = (out.err as { code?: string } | undefined)?.code;
  if (out.error_code === undefined && errCode !== undefined) out.error_code = errCode;
  return out;
}

/** isSerialised is true when serializeFields would copy `fields` unchanged: no err, no Error, no undefined. */
function isSerialised(fields: LogFields): boolean {
  if (Object.hasOwn(fields, 'err')) return false;
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) continue;
    const value = fields[key];
    if (value === undefined || value instanceof Error) return false;
  }
  return true;
}

function put(out: LogFields, key: string, value: unknown): void {
  if (value !== undefined) out[key] = value instanceof Error ? serializeError(value) : value;
}

/** createLogger builds a Logger for one component; entries below the level are dropped before serialising. */
export function createLogger(opts: LoggerOptions): Logger {
  const env = opts.env ?? process.env;
  const minRank = LEVEL_RANK[opts.level ?? parseLogLevel(env.VMPOOL_LOG_LEVEL)];
  const sink = opts.sink ?? defaultSink(env, opts.journalThread ?? false);
  const now = opts.now ?? Date.now;
  return buildLogger({ component: opts.component, minRank, sink, now }, opts.fields ?? {});
}

interface LoggerCore {
  component: LogComponent;
  minRank: number;
  sink: LogSink;
  now: () => number;
}

function buildLogger(core: LoggerCore, bound: LogFields): Logger {
  const unbound = Object.keys(bound).length === 0;
  const log = (level: LogLevel) => (msg: string, fields?: LogFields) => {
    if (LEVEL_RANK[level] < core.minRank) return;
    // fields that serialise as they are (the common case) go to the sink as given: no copy per line
    const merged = fields && unbound && isSerialised(fields) ? fields : serializeFields(fields ?? {}, bound);
    core.sink({ ts: core.now(), level, component: core.component, msg, fields: merged });
  };
  return {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: (fields) => buildLogger(core, { ...bound, ...fields }),
  };
}

/**
 * createJsonSink writes one JSON line per entry: to `write` when given, else to stderr through the
 * process's line buffer (info lines gathered for at most 5 ms; warnings and errors at once, see LineBuffer).
 */
export function createJsonSink(write?: (line: string) => void): LogSink {
  if (write) return (entry) => write(formatJsonLine(entry));
  const buffer = stderrLines();
  return (entry) => buffer.push(formatJsonLine(entry), LEVEL_RANK[entry.level] >= LEVEL_RANK.warn);
}

const PRIORITY: Record<LogLevel, string> = { debug: '7', info: '6', warn: '4', error: '3' };
const KNOWN_FIELDS = new Set([
  'NODE_ID',
  'VM_ID',
  'VMID',
  'VM_NAME',
  'TENANT_ID',
  'REQUEST_ID',
  'ERROR_CODE',
]);

// log field keys are a small set fixed by the code: each is mapped once (bounded, should one not be)
const FIELD_NAMES = new Map<string, string>();
const FIELD_NAMES_MAX = 4096;

/** journalFieldName maps a log field key to a journald field name: known ids as-is, others VMPOOL_<KEY>, [A-Z0-9_] only. */
export function journalFieldName(key: string): string {
  let name = FIELD_NAMES.get(key);
  if (name === undefined) {
    name = fieldNameOf(key);
    if (FIELD_NAMES.size < FIELD_NAMES_MAX) FIELD_NAMES.set(key, name);
  }
  return name;
}

function fieldNameOf(key: string): string {
  const upper = key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .replace(/[^A-Z0-9_]/g, '_');
  const name = KNOWN_FIELDS.has(upper) ? upper : `VMPOOL_${upper.replace(/^_+/, '')}`;
  // journald silently drops fields whose names exceed 64 characters.
  return name.slice(0, 64);
}

function journalValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return safeStringify(value);
  return String(value);
}

/** journalFields maps an entry to native journald fields: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER and one per log field. */
export function journalFields(entry: LogEntry): Record<string, string> {
  const out: Record<string, string> = {};
  const fields = entry.fields;
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) continue;
    const value = fields[key];
    // err is searchable as text; its code already went to ERROR_CODE.
    const text =
      key === 'err'
        ? String((value as { message?: unknown }).message ?? journalValue(value))
        : journalValue(value);
    out[journalFieldName(key)] = text;
  }
  // the reason of a failure belongs in MESSAGE, where `journalctl` and `systemctl status` show it
  const errText = (entry.fields.err as { message?: unknown } | undefined)?.message;
  out.MESSAGE =
    entry.level !== 'debug' && entry.level !== 'info' && typeof errText === 'string'
      ? `${entry.msg}: ${errText}`
      : entry.msg;
  out.PRIORITY = PRIORITY[entry.level];
  out.SYSLOG_IDENTIFIER = `vmpool-${entry.component}`;
  return out;
}

/** createJournaldSink sends native journald entries, falling back to the JSON sink when a send fails. */
export function createJournaldSink(
  send: (fields: Record<string, string>) => boolean = (fields) => journalSend(fields),
  fallback: LogSink = createJsonSink(),
): LogSink {
  return (entry) => {
    if (!send(journalFields(entry))) fallback(entry);
  };
}

/**
 * createThreadedJournaldSink is the journald sink with the sends on the journal thread, or the
 * direct sink when no thread starts. Warnings and errors are handed over at once.
 */
export function createThreadedJournaldSink(): LogSink {
  const thread = startJournalThread();
  if (thread === null) return createJournaldSink();
  return (entry) => {
    const frame = journalFrame(journalFields(entry));
    if (frame !== null) thread.send(frame, LEVEL_RANK[entry.level] >= LEVEL_RANK.warn);
  };
}

function defaultSink(env: Readonly<Record<string, string | undefined>>, journalThread: boolean): LogSink {
  if (!underJournald(env)) return createJsonSink();
  return journalThread ? createThreadedJournaldSink() : createJournaldSink();
}
