import { readFile } from 'node:fs/promises';
import { type AuditEntry, GENESIS_HASH, parseLine } from './entry.js';

/** VerifyFailure names why a line breaks the chain. */
export type VerifyReason = 'bad_json' | 'bad_shape' | 'bad_hash' | 'bad_seq' | 'bad_prev_hash' | 'torn_tail';

/** VerifyResult is the chain check: how many entries verified, or the first bad line (1-based). */
export type VerifyResult =
  | { ok: true; entries: number; head_hash: string }
  | { ok: false; line: number; reason: VerifyReason };

/**
 * verifyText checks a whole log: every line parses, hashes to its `hash`, has seq = previous + 1
 * (starting at 1) and prev_hash = previous hash. An edit, deletion or reordering anywhere breaks
 * one of these at or right after the touched line. Bytes after the last newline are a torn tail:
 * an append cut short by a crash, never acknowledged (AuditLog.open truncates it away).
 * Removing whole lines from the END cannot be seen from the file alone; compare head_hash with a
 * copy kept elsewhere for that.
 */
export function verifyText(text: string): VerifyResult {
  const lines = text.split('\n');
  const tail = lines.pop() ?? '';
  let prev = { seq: 0, hash: GENESIS_HASH };
  for (const [i, line] of lines.entries()) {
    const entry = parseLine(line);
    if (typeof entry === 'string') return { ok: false, line: i + 1, reason: entry };
    const reason = linkReason(prev, entry);
    if (reason) return { ok: false, line: i + 1, reason };
    prev = entry;
  }
  if (tail !== '') return { ok: false, line: lines.length + 1, reason: 'torn_tail' };
  return { ok: true, entries: lines.length, head_hash: prev.hash };
}

/** verify reads and checks the log at path (a missing file is an empty, valid log). */
export async function verify(path: string): Promise<VerifyResult> {
  return verifyText(await readFile(path, 'utf8').catch(emptyIfMissing));
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
