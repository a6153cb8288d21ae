import { readFile } from 'node:fs/promises';
import { type AuditEntry, GENESIS_HASH, parseLine } from './entry.js';

/** VerifyReason names why a line breaks the chain, or why the file falls short of a known head. */
export type VerifyReason =
  | 'bad_json'
  | 'bad_shape'
  | 'bad_hash'
  | 'bad_seq'
  | 'bad_prev_hash'
  | 'torn_tail'
  | 'truncated'
  | 'checkpoint_mismatch'
  | 'bad_checkpoint'
  | 'bad_anchor';

/** VerifyResult is the chain check: how many entries verified, or the first bad line (1-based). */
export type VerifyResult =
  | { ok: true; entries: number; head_hash: string }
  | {
      ok: false;
      line: number;
      reason: VerifyReason /** the segment file, once the log has rotated */;
      file?: string;
    };

/** KnownHead is a (seq, hash) kept outside the file: the live coordinator's head or a checkpoint. */
export interface KnownHead {
  seq: number;
  hash: string;
}

/** VerifyOptions: the audit key (MAC chain) and heads known from outside the file. */
export interface VerifyOptions {
  key?: Buffer;
  /** heads the file must reach: each entry `seq` must exist and carry `hash` */
  known?: readonly KnownHead[];
}

/**
 * verifyText checks a whole log: every line parses, carries its MAC (or hash), has seq = previous
 * + 1 (from 1) and prev_hash = previous hash. An edit, deletion, swap or forged line breaks one of
 * these at the touched line; without the key no re-chained or appended line verifies. Removing
 * lines from the END (or emptying the file) is caught against `known` heads: the live head and the
 * last checkpoint, reported as `truncated` at the first missing line. Bytes after the last newline
 * are a torn tail (an append cut short by a crash; AuditLog.open truncates it away).
 */
export function verifyText(text: string, o: VerifyOptions = {}): VerifyResult {
  const walked = walkLines(text, { seq: 0, hash: GENESIS_HASH }, o.key);
  if ('reason' in walked) return { ok: false, line: walked.line, reason: walked.reason };
  const { hashes, head: prev, lines } = walked;
  for (const k of o.known ?? []) {
    if (k.seq === 0) continue;
    if (k.seq > hashes.length) return { ok: false, line: hashes.length + 1, reason: 'truncated' };
    if (hashes[k.seq - 1] !== k.hash) return { ok: false, line: k.seq, reason: 'checkpoint_mismatch' };
  }
  return { ok: true, entries: lines, head_hash: prev.hash };
}

/** Walked is one file's chain checked from `start`: its hashes in order, its head and line count. */
export type Walked =
  | { hashes: string[]; head: KnownHead; lines: number }
  | { line: number; reason: VerifyReason };

/** walkLines checks every line of one file (or segment) as chained after `start`. */
export function walkLines(text: string, start: KnownHead, key?: Buffer): Walked {
  const lines = text.split('\n');
  const tail = lines.pop() ?? '';
  const hashes: string[] = [];
  let prev = start;
  for (const [i, line] of lines.entries()) {
    const entry = parseLine(line, key);
    if (typeof entry === 'string') return { line: i + 1, reason: entry };
    const reason = linkReason(prev, entry);
    if (reason) return { line: i + 1, reason };
    hashes.push(entry.hash);
    prev = entry;
  }
  if (tail !== '') return { line: lines.length + 1, reason: 'torn_tail' };
  return { hashes, head: { seq: prev.seq, hash: prev.hash }, lines: lines.length };
}

/** verify reads and checks the log at path (a missing file is an empty log). */
export async function verify(path: string, o: VerifyOptions = {}): Promise<VerifyResult> {
  return verifyText(await readFile(path, 'utf8').catch(emptyIfMissing), o);
}

function linkReason(prev: { seq: number; hash: string }, entry: AuditEntry): VerifyReason | null {
  if (entry.seq !== prev.seq + 1) return 'bad_seq';
  if (entry.prev_hash !== prev.hash) return 'bad_prev_hash';
  return null;
}

/** emptyIfMissing turns ENOENT into an empty log and rethrows anything else. */
export function emptyIfMissing(err: unknown): string {
  if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
  throw err;
}
