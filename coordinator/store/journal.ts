import { close, fdatasync, fstat, ftruncate, open as openFd } from 'node:fs';
import { open, readdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { syncDirectory } from '../../shared/atomic-file.js';
import { DSYNC_APPEND, writeDurably } from '../../shared/durable-append.js';
import { StoreError } from './errors.js';
import { encodeRecord, type JournalRecord, scanRecords } from './journal-format.js';

// Plain descriptors, not FileHandles: a store that is never closed (tests, a process that exits)
// must not trip Node's close-on-GC warning.
const fd = {
  open: promisify(openFd),
  datasync: promisify(fdatasync),
  truncate: promisify(ftruncate),
  size: async (d: number) => (await promisify(fstat)(d)).size,
  close: promisify(close),
};

/** Segment is one journal file, `<state file>.journal.<gen>`, appended in order of `gen`. */
export interface Segment {
  gen: number;
  path: string;
}

/** Replayed is what the segments on disk hold: every whole record, oldest first, and what was cut. */
export interface Replayed {
  records: JournalRecord[];
  /** tornBytes were cut from the last segment's end: an append that never completed (never acknowledged) */
  tornBytes: number;
}

/**
 * Journal is the append side of the store: length-and-CRC framed records in numbered segment
 * files. append() writes one record and fdatasyncs once (the group commit); a failed append is cut
 * back off the file, and if even that fails the journal refuses every later append. rotate()
 * starts a new segment so a compaction can snapshot the state up to the old one and delete it.
 */
export class Journal {
  private fh: number | null = null;
  private active: Segment;
  private bytes = 0;
  private broken: Error | null = null;

  private constructor(
    private readonly statePath: string,
    private segments: Segment[],
    private readonly afterWrite?: () => void,
  ) {
    this.active = segments.at(-1) ?? { gen: 1, path: segmentPath(statePath, 1) };
  }

  /** open lists the segments beside statePath and replays them, cutting a torn tail off the last. */
  static async open(
    statePath: string,
    segments: Segment[],
    afterWrite?: () => void,
  ): Promise<{ journal: Journal; replayed: Replayed }> {
    const journal = new Journal(statePath, segments, afterWrite);
    const replayed = await journal.replay();
    await journal.openActive();
    return { journal, replayed };
  }

  /** activeBytes is the size of the segment being appended to. */
  get activeBytes(): number {
    return this.bytes;
  }

  /** append writes one record and fdatasyncs; it resolves once the record is durable. */
  async append(record: JournalRecord): Promise<void> {
    if (this.broken) throw this.broken;
    const fh = this.fh;
    if (fh === null) throw new StoreError('store_not_loaded', 'Cannot append to the journal: it is closed');
    const frame = encodeRecord(record);
    try {
      await writeDurably(fh, frame, this.afterWrite, true);
      this.bytes += frame.length;
    } catch (err) {
      await this.cutBack(fh);
      throw err;
    }
  }

  /** rotate makes a new, durable, empty segment the one appended to; returns the gens now closed. */
  async rotate(): Promise<number> {
    const closed = this.active.gen;
    const next = { gen: closed + 1, path: segmentPath(this.statePath, closed + 1) };
    const fh = await fd.open(next.path, DSYNC_APPEND, 0o600);
    await syncDirectory(dirname(this.statePath));
    if (this.fh !== null) await fd.close(this.fh);
    this.fh = fh;
    this.active = next;
    this.segments.push(next);
    this.bytes = 0;
    return closed;
  }

  /** removeThrough deletes every segment up to gen `upTo` (their records are in a durable snapshot). */
  async removeThrough(upTo: number): Promise<void> {
    for (const s of this.segments.filter((s) => s.gen <= upTo)) await rm(s.path, { force: true });
    this.segments = this.segments.filter((s) => s.gen > upTo);
  }

  /** close releases the file; appends are refused afterwards. */
  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    if (fh !== null) await fd.close(fh);
  }

  private async replay(): Promise<Replayed> {
    const records: JournalRecord[] = [];
    let tornBytes = 0;
    for (const [i, seg] of this.segments.entries()) {
      const data = await readFile(seg.path);
      const scan = scanRecords(data);
      const last = i === this.segments.length - 1;
      if (scan.tail === 'corrupt' || (scan.tail === 'torn' && !last))
        throw new StoreError(
          'store_corrupt',
          `Cannot replay journal "${seg.path}": a damaged record before its end`,
          {
            details: { offset: scan.goodBytes },
          },
        );
      if (scan.tail === 'torn') {
        tornBytes = data.length - scan.goodBytes;
        await truncateDurably(seg.path, scan.goodBytes);
      }
      records.push(...scan.records);
    }
    return { records, tornBytes };
  }

  private async openActive(): Promise<void> {
    const fresh = this.segments.length === 0;
    this.fh = await fd.open(this.active.path, DSYNC_APPEND, 0o600);
    this.bytes = await fd.size(this.fh);
    if (fresh) {
      this.segments.push(this.active);
      await syncDirectory(dirname(this.statePath));
    }
  }

  /** cutBack removes a failed append's bytes so a half-written or unsynced record never replays. */
  private async cutBack(fh: number): Promise<void> {
    try {
      await fd.truncate(fh, this.bytes);
      await fd.datasync(fh);
    } catch (err) {
      this.broken = new StoreError(
        'store_write_failed',
        'Cannot write coordinator state: the journal could not be cut back after a failed append; restart the coordinator',
        { cause: err },
      );
    }
  }
}

/** segmentPath names segment `gen` of the journal beside statePath. */
export function segmentPath(statePath: string, gen: number): string {
  return `${statePath}.journal.${gen}`;
}

/** listSegments finds the journal segments beside statePath, oldest first. */
export async function listSegments(statePath: string): Promise<Segment[]> {
  const prefix = `${basename(statePath)}.journal.`;
  const names = await readdir(dirname(statePath)).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  return names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => ({ gen: Number(n.slice(prefix.length)), path: join(dirname(statePath), n) }))
    .sort((a, b) => a.gen - b.gen);
}

async function truncateDurably(path: string, length: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(length);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}
