import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { anchorPathFor, listSegments, readAnchor } from './segments.js';
import { emptyIfMissing, type KnownHead, type VerifyResult, walkLines } from './verify.js';

/**
 * verifyChain checks the whole audit trail at `path`: every kept segment, oldest first, then the
 * live file, as ONE chain starting at the anchor (genesis until segments were deleted), then checks
 * it reaches every known head (live head, checkpoint). A failure names the file once the log has
 * rotated, and the line within it.
 */
export async function verifyChain(
  path: string,
  o: { key?: Buffer; known?: readonly KnownHead[] } = {},
): Promise<VerifyResult> {
  const anchor = await readAnchor(path, o.key);
  if (anchor === 'bad_anchor')
    return { ok: false, line: 1, reason: 'bad_anchor', file: basename(anchorPathFor(path)) };
  const files = [...(await listSegments(path)), path];
  const named = (f: string) => (files.length > 1 ? { file: basename(f) } : {});
  const at = new Map<number, { hash: string; file: string; line: number }>();
  let head = anchor;
  let entries = 0;
  let liveLines = 0;
  for (const f of files) {
    const walked = walkLines(await readFile(f, 'utf8').catch(emptyIfMissing), head, o.key);
    if ('reason' in walked) return { ok: false, line: walked.line, reason: walked.reason, ...named(f) };
    for (const [i, hash] of walked.hashes.entries()) at.set(head.seq + i + 1, { hash, file: f, line: i + 1 });
    head = walked.head;
    entries += walked.lines;
    liveLines = walked.lines;
  }
  for (const k of o.known ?? []) {
    if (k.seq <= anchor.seq) continue; // in a deleted segment
    if (k.seq > head.seq) return { ok: false, line: liveLines + 1, reason: 'truncated', ...named(path) };
    const found = at.get(k.seq)!;
    if (found.hash !== k.hash)
      return { ok: false, line: found.line, reason: 'checkpoint_mismatch', ...named(found.file) };
  }
  return { ok: true, entries, head_hash: head.hash };
}
