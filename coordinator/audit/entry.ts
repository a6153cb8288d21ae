import { createHash, createHmac, type KeyObject } from 'node:crypto';
import { VmpoolError } from '../../shared/errors.js';

/** GENESIS_HASH is the prev_hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** AuditInput is what a caller records; seq, ts and the hashes are filled in by AuditLog. */
export interface AuditInput {
  tenant: string | null;
  vm: string | null;
  op: string;
  /** source says who asked: 'api', 'agent', 'system', … */
  source: string;
  /** result is 'ok' or the stable error code the operation failed with */
  result: string;
}

/** AuditEntry is one line of the audit log. */
export interface AuditEntry extends AuditInput {
  seq: number;
  ts: string;
  prev_hash: string;
  hash: string;
}

/** AuditError is a failure to open, append to or read the audit log (codes: audit_corrupt, audit_write_failed). */
export class AuditError extends VmpoolError {
  constructor(code: 'audit_corrupt' | 'audit_write_failed', message: string, opts: { cause?: unknown } = {}) {
    super(code, message, opts);
    this.name = 'AuditError';
  }
}

/** canonicalJson is the hashed form: the entry's fields without `hash`, always in this key order. */
export function canonicalJson(e: Omit<AuditEntry, 'hash'>): string {
  return JSON.stringify({
    seq: e.seq,
    ts: e.ts,
    tenant: e.tenant,
    vm: e.vm,
    op: e.op,
    source: e.source,
    result: e.result,
    prev_hash: e.prev_hash,
  });
}

/**
 * hashEntry is the entry's chain link over canonicalJson: HMAC-SHA256 under the audit key (so no
 * one without the key can forge, re-chain or append a line that verifies), or plain sha256 when no
 * key is given (unit tests of the chain itself).
 */
export function hashEntry(e: Omit<AuditEntry, 'hash'>, key?: Buffer): string {
  const text = canonicalJson(e);
  return key
    ? createHmac('sha256', key).update(text, 'utf8').digest('hex')
    : createHash('sha256').update(text, 'utf8').digest('hex');
}

/** sealEntry completes an input into a hashed entry chained after prevHash. */
export function sealEntry(
  input: AuditInput,
  seq: number,
  ts: string,
  prevHash: string,
  key?: Buffer,
): AuditEntry {
  const body = { seq, ts, ...pickInput(input), prev_hash: prevHash };
  return { ...body, hash: hashEntry(body, key) };
}

/**
 * sealLine is sealEntry and formatLine in one: the canonical text is built once, hashed, and the
 * stored line is that text with the hash appended (the same bytes formatLine writes). `key` may be
 * a KeyObject made once by the caller (an appender seals every entry under the same key).
 */
export function sealLine(
  input: AuditInput,
  seq: number,
  ts: string,
  prevHash: string,
  key?: Buffer | KeyObject,
): { entry: AuditEntry; line: string } {
  // one literal in canonical order, no spread (see stamped() in events/bus.ts)
  const entry: AuditEntry = {
    seq,
    ts,
    tenant: input.tenant,
    vm: input.vm,
    op: input.op,
    source: input.source,
    result: input.result,
    prev_hash: prevHash,
    hash: '',
  };
  const text = canonicalJson(entry);
  entry.hash = key
    ? createHmac('sha256', key).update(text, 'utf8').digest('hex')
    : createHash('sha256').update(text, 'utf8').digest('hex');
  // a hex digest needs no JSON escaping
  return { entry, line: `${text.slice(0, -1)},"hash":"${entry.hash}"}\n` };
}

/** formatLine is the stored form: canonical key order plus hash, one line. */
export function formatLine(e: AuditEntry): string {
  return `${canonicalJson(e).slice(0, -1)},"hash":${JSON.stringify(e.hash)}}\n`;
}

/** parseLine reads one line into an entry, or a reason it is not one (bad_json, bad_shape, bad_hash). */
export function parseLine(line: string, key?: Buffer): AuditEntry | 'bad_json' | 'bad_shape' | 'bad_hash' {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return 'bad_json';
  }
  if (!isEntry(raw)) return 'bad_shape';
  // Re-serialising and comparing also catches edits that keep the JSON value but change the bytes.
  if (formatLine(raw) !== `${line}\n`) return 'bad_shape';
  return hashEntry(raw, key) === raw.hash ? raw : 'bad_hash';
}

function pickInput(i: AuditInput): AuditInput {
  return { tenant: i.tenant, vm: i.vm, op: i.op, source: i.source, result: i.result };
}

function isEntry(v: unknown): v is AuditEntry {
  const e = v as Record<string, unknown> | null;
  const strOrNull = (x: unknown) => x === null || typeof x === 'string';
  return (
    typeof e === 'object' &&
    e !== null &&
    Number.isSafeInteger(e.seq) &&
    typeof e.ts === 'string' &&
    strOrNull(e.tenant) &&
    strOrNull(e.vm) &&
    typeof e.op === 'string' &&
    typeof e.source === 'string' &&
    typeof e.result === 'string' &&
    typeof e.prev_hash === 'string' &&
    typeof e.hash === 'string'
  );
}
