import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { EventBus } from './bus.js';

/** SEQ_BLOCK is how many seqs one write of the seq file reserves. */
export const SEQ_BLOCK = 1000;

// the mark is written at this fixed width (the largest safe integer has 16 digits), so each write
// overwrites the last one in place and the file never needs truncating
const MARK_WIDTH = 16;

/**
 * readSeqStart reads the reserved seq high-water mark kept in `path` (0 when there is none): a
 * restarted coordinator starts its bus there, so event seqs only grow across restarts and a stream
 * reader's Last-Event-ID never points into the new process's past.
 */
export function readSeqStart(path: string): number {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}

/**
 * persistSeq reserves seqs in blocks: it writes start + SEQ_BLOCK now, and the next block whenever
 * the bus reaches the reserved mark, so a crash costs at most one block of unused numbers. The
 * file stays open: each block is one write in place on the event loop, not an open, truncate and
 * close (on ext4 truncating a just-written file can hold the thread for milliseconds). Returns the
 * function that stops it and closes the file.
 */
export function persistSeq(bus: EventBus, path: string, start: number): () => void {
  let reserved = start + SEQ_BLOCK;
  const fd = openSync(path, 'w', 0o600);
  const write = () => writeSync(fd, `${String(reserved).padEnd(MARK_WIDTH)}\n`, 0);
  write();
  const unsubscribe = bus.subscribe((e) => {
    if (e.seq < reserved) return;
    reserved = e.seq + SEQ_BLOCK;
    write();
  });
  return () => {
    unsubscribe();
    closeSync(fd);
  };
}
