import { readUsage, type Usage } from '../metering/record.js';

/** SseEvent is one complete server-sent event as raw text (with its blank-line terminator). */
export interface SseEvent {
  raw: string;
  /** data is the joined `data:` lines, or null for a comment/keep-alive event */
  data: string | null;
}

/**
 * SseSplitter cuts a byte stream into complete SSE events (terminated by a blank line, \n\n or
 * \r\n\r\n); a partial event waits in the buffer for its next bytes.
 */
export class SseSplitter {
  private buf = '';
  private readonly decoder = new TextDecoder();

  /** push adds bytes and returns the events they completed. */
  push(chunk: Uint8Array): SseEvent[] {
    this.buf += this.decoder.decode(chunk, { stream: true });
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r?\n\r?\n/.exec(this.buf);
      if (!m) break;
      const end = m.index + m[0].length;
      const raw = this.buf.slice(0, end);
      this.buf = this.buf.slice(end);
      out.push({ raw, data: dataOf(raw) });
    }
    return out;
  }

  /** rest is what is left of an unfinished event (a stream cut mid-event). */
  rest(): string {
    return this.buf;
  }
}

function dataOf(raw: string): string | null {
  const lines = raw
    .split(/\r?\n/)
    .filter((l) => l.startsWith('data:'))
    .map((l) => l.slice(5).replace(/^ /, ''));
  return lines.length ? lines.join('\n') : null;
}

/** ChunkInfo is what the broker reads off one streamed event. */
export interface ChunkInfo {
  done: boolean;
  usage: Usage | null;
  /** usageOnly: a chunk carrying usage and no choices (what include_usage adds at the end) */
  usageOnly: boolean;
}

/** inspect reads an event's JSON data for [DONE], usage and whether it is a usage-only chunk. */
export function inspect(ev: SseEvent): ChunkInfo {
  if (ev.data === null) return { done: false, usage: null, usageOnly: false };
  if (ev.data.trim() === '[DONE]') return { done: true, usage: null, usageOnly: false };
  try {
    const body = JSON.parse(ev.data) as { usage?: unknown; choices?: unknown[] };
    const usage = readUsage(body.usage);
    return { done: false, usage, usageOnly: usage !== null && (body.choices?.length ?? 0) === 0 };
  } catch {
    return { done: false, usage: null, usageOnly: false };
  }
}
