/** SseMessage is one server-sent event as read off the wire. */
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/**
 * readSse parses a text/event-stream body into messages as they arrive (comments skipped, multi-line
 * data joined); it ends when the body ends or `signal` aborts.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
    let cut = buf.indexOf('\n\n');
    while (cut >= 0) {
      const msg = parseBlock(buf.slice(0, cut));
      buf = buf.slice(cut + 2);
      if (msg) yield msg;
      cut = buf.indexOf('\n\n');
    }
  }
}

function parseBlock(block: string): SseMessage | null {
  const msg: SseMessage = { event: 'message', data: '' };
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'event') msg.event = value;
    else if (field === 'id') msg.id = value;
  }
  if (!data.length) return null;
  msg.data = data.join('\n');
  return msg;
}
