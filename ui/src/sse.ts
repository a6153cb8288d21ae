/** SseMessage is one server-sent event: its `id:` and joined `data:` lines. */
export interface SseMessage {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

/**
 * SseParser turns a text/event-stream read in arbitrary chunks into messages (the WHATWG rules:
 * lines end in LF, CR or CRLF; a blank line ends a message; `:` lines are comments).
 */
export class SseParser {
  private buf = '';
  private data: string[] = [];
  private id: string | undefined;
  private event: string | undefined;

  /** push feeds one chunk and returns the messages it completed. */
  push(chunk: string): SseMessage[] {
    this.buf += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buf);
      // a lone CR at the end may be the first half of CRLF: wait for more
      if (!m || (m[0] === '\r' && m.index === this.buf.length - 1)) break;
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      const msg = this.line(line);
      if (msg) out.push(msg);
    }
    return out;
  }

  private line(line: string): SseMessage | null {
    if (line === '') {
      if (this.data.length === 0) return null;
      const msg = { id: this.id, event: this.event, data: this.data.join('\n') };
      this.data = [];
      this.event = undefined;
      return msg;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'id') this.id = value;
    else if (field === 'event') this.event = value;
    return null;
  }
}
