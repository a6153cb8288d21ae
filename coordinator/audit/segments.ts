import { createHmac } from 'node:crypto';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { writeFileAtomic } from '../../shared/atomic-file.js';
import { GENESIS_HASH } from './entry.js';
import { emptyIfMissing, type KnownHead } from './verify.js';

/**
 * Audit log segments. The live log is `<path>`; rotation renames it to `<path>.<last seq, 12
 * digits>` and the next entry, in a fresh `<path>`, chains to the old one's last hash, so the chain
 * runs on across files. Old segments beyond a count are deleted; the (seq, hash) the oldest kept
 * segment chains to is then written, MACed, to `<path>.anchor`, so deleting a KEPT segment (or
 * forging the anchor) still breaks verification.
 */

const SEGMENT_RE = /^\.(\d{12})$/;

/** segmentPath is the name a rotated segment ending at `lastSeq` gets. */
export function segmentPath(path: string, lastSeq: number): string {
  return `${path}.${String(lastSeq).padStart(12, '0')}`;
}

/** listSegments returns the rotated segments of `path`, oldest first (the live file is not among them). */
export async function listSegments(path: string): Promise<string[]> {
  const base = basename(path);
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  return names
    .filter((n) => n.startsWith(base) && SEGMENT_RE.test(n.slice(base.length)))
    .sort()
    .map((n) => join(dirname(path), n));
}

/** rotateFile moves the live log aside as a segment ending at `lastSeq` (the caller closed it). */
export async function rotateFile(path: string, lastSeq: number): Promise<void> {
  await rename(path, segmentPath(path, lastSeq));
}

/** anchorPathFor is where the start of the kept chain is recorded once segments were deleted. */
export function anchorPathFor(path: string): string {
  return `${path}.anchor`;
}

function anchorMac(a: KnownHead, key: Buffer | undefined): string {
  const text = `vmpool-audit-anchor\n${a.seq}\n${a.hash}`;
  return key ? createHmac('sha256', key).update(text).digest('hex') : text;
}

/**
 * pruneSegments deletes all but the newest `keep` segments; before deleting, it records the
 * (seq, hash) the oldest kept segment chains to, so verify starts there and nowhere else.
 */
export async function pruneSegments(path: string, keep: number, key: Buffer | undefined): Promise<number> {
  const segments = await listSegments(path);
  const drop = segments.slice(0, Math.max(0, segments.length - keep));
  if (!drop.length) return 0;
  const lastDropped = await readFile(drop.at(-1)!, 'utf8');
  const line = lastDropped.trimEnd().split('\n').at(-1) ?? '';
  const { seq, hash } = JSON.parse(line) as KnownHead;
  const anchor = { seq, hash, mac: anchorMac({ seq, hash }, key) };
  await writeFileAtomic(anchorPathFor(path), `${JSON.stringify(anchor)}\n`, { mode: 0o600 });
  for (const p of drop) await rm(p, { force: true });
  return drop.length;
}

/** readAnchor is where the kept chain starts: genesis, or the recorded anchor; 'bad_anchor' when forged. */
export async function readAnchor(path: string, key: Buffer | undefined): Promise<KnownHead | 'bad_anchor'> {
  const text = await readFile(anchorPathFor(path), 'utf8').catch(emptyIfMissing);
  if (text === '') return { seq: 0, hash: GENESIS_HASH };
  try {
    const a = JSON.parse(text) as KnownHead & { mac: string };
    const ok = Number.isSafeInteger(a.seq) && typeof a.hash === 'string' && anchorMac(a, key) === a.mac;
    return ok ? { seq: a.seq, hash: a.hash } : 'bad_anchor';
  } catch {
    return 'bad_anchor';
  }
}
