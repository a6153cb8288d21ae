/**
 * LineBuffer gathers log lines and hands them to `write` as one string: on a busy service (a
 * create logs five lines) that is one write(2) per turn, or per `holdMs`, instead of one per line.
 * Lines are never held past the turn (setImmediate; or past `holdMs` when it is set), past
 * `maxBytes`, or past process exit, and `urgent` lines (warnings and errors) go out at once with
 * everything before them, so a line that explains a crash is written before the crash.
 */
export class LineBuffer {
  private lines: string[] = [];
  private bytes = 0;
  private scheduled = false;
  private readonly flushNow = () => this.flush();

  constructor(
    private readonly write: (text: string) => void,
    private readonly maxBytes = 64 * 1024,
    private readonly holdMs = 0,
  ) {}

  /** push queues one line; `urgent` writes it and everything queued before it now. */
  push(line: string, urgent = false): void {
    this.lines.push(line);
    this.bytes += line.length;
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

  /** flush writes every queued line now, in order. */
  flush(): void {
    this.scheduled = false;
    if (this.lines.length === 0) return;
    const text = this.lines.length === 1 ? this.lines[0]! : this.lines.join('');
    this.lines = [];
    this.bytes = 0;
    this.write(text);
  }
}

let stderrBuffer: LineBuffer | null = null;

/**
 * STDERR_HOLD_MS bounds how long an info line waits for stderr: at 1,000 creates/s a write per
 * turn was thousands of write(2)s a second on the event loop; one per few ms is a few hundred.
 */
export const STDERR_HOLD_MS = 5;

/** stderrLines is the process's one buffer in front of stderr, flushed at exit too. */
export function stderrLines(): LineBuffer {
  if (!stderrBuffer) {
    const buffer = new LineBuffer((text) => process.stderr.write(text), 64 * 1024, STDERR_HOLD_MS);
    process.on('exit', () => buffer.flush());
    stderrBuffer = buffer;
  }
  return stderrBuffer;
}
