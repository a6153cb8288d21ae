import type { FileHandle } from 'node:fs/promises';

const NEWLINE = 0x0a;
const FIRST_CHUNK = 64 * 1024;

/** LogTail is where the last complete line ends and that line's text (null for an empty log). */
export interface LogTail {
  /** end is the byte offset just past the last newline; anything after it is a torn append */
  end: number;
  lastLine: string | null;
}

/** readTail finds the last complete line of a file of `size` bytes, reading backwards in growing chunks. */
export async function readTail(file: FileHandle, size: number): Promise<LogTail> {
  for (let chunk = FIRST_CHUNK; ; chunk *= 2) {
    const start = Math.max(0, size - chunk);
    const buf = Buffer.alloc(size - start);
    await file.read(buf, 0, buf.length, start);
    const tail = lastLineIn(buf, start);
    if (tail) return tail;
    if (start === 0) return { end: 0, lastLine: null };
  }
}

/** lastLineIn returns the tail when buf (starting at file offset `start`) holds the whole last line. */
function lastLineIn(buf: Buffer, start: number): LogTail | null {
  const lastNewline = buf.lastIndexOf(NEWLINE);
  if (lastNewline < 0) return null;
  const previous = lastNewline === 0 ? -1 : buf.lastIndexOf(NEWLINE, lastNewline - 1);
  // Without an earlier newline the line starts at the beginning only if the chunk does.
  if (previous < 0 && start > 0) return null;
  return { end: start + lastNewline + 1, lastLine: buf.subarray(previous + 1, lastNewline).toString('utf8') };
}
