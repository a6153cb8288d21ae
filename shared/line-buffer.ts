/**
 * HeldBatch gathers items (log lines, journald frames) and hands them over together: on a busy
 * service (a create logs five lines) that is one write per turn, or per `holdMs`, instead of one per
 * line. Items are never held past the turn (setImmediate; or past `holdMs` when it is set) or past
 * `maxBytes` (as `sizeOf` counts them), and `urgent` ones (warnings and errors) go out at once with
 * everything before them, so a line that explains a crash is written before the crash.
 */
export class HeldBatch<T> {
  private items: T[] = [];
  private bytes = 0;
  private scheduled = false;
  private readonly flushNow = () => this.flush();

  constructor(
    private readonly hand: (items: T[]) => void,
    private readonly sizeOf: (item: T) => number,
    private readonly maxBytes: number,
    private readonly holdMs: number,
  ) {}

  /** push queues one item; `urgent` hands it and everything queued before it over now. */
  push(item: T, urgent = false): void {
    this.items.push(item);
    this.bytes += this.sizeOf(item);
    if (urgent || this.bytes >= this.maxBytes) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      if (this.holdMs > 0) setTimeout(this.flushNow, this.holdMs).unref();
      else setImmediate(this.flushNow).unref();
    }
  }

  /** flush hands every queued item over now, in order. */
  flush(): void {
    this.scheduled = false;
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.bytes = 0;
    this.hand(items);
  }
}

/** LineBuffer is a HeldBatch of text lines, handed to `write` as one string (process exit flushes stderr's). */
export class LineBuffer extends HeldBatch<string> {
  constructor(write: (text: string) => void, maxBytes = 64 * 1024, holdMs = 0) {
    super(
      (lines) => write(lines.length === 1 ? (lines[0] as string) : lines.join('')),
      lineLength,
      maxBytes,
      holdMs,
    );
  }
}

function lineLength(line: string): number {
  return line.length;
}

let stderrBuffer: LineBuffer | null = null;

/**
 * LOG_HOLD_MS bounds how long an info line waits before it is written, to stderr here or to journald
 * (journal-thread.ts): at 1,000 creates/s a write per line was thousands of syscalls a second on the
 * event loop; one per few ms is a few hundred.
 */
export const LOG_HOLD_MS = 5;

/** stderrLines is the process's one buffer in front of stderr, flushed at exit too. */
export function stderrLines(): LineBuffer {
  if (!stderrBuffer) {
    const buffer = new LineBuffer((text) => process.stderr.write(text), 64 * 1024, LOG_HOLD_MS);
    process.on('exit', () => buffer.flush());
    stderrBuffer = buffer;
  }
  return stderrBuffer;
}
