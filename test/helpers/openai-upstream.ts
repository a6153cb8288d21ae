import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small OpenAI-compatible server for tests and the bench: no model runs, the answers are
 * deterministic. prompt_tokens is the number of whitespace-separated words in the prompt (or the
 * messages' contents), completion_tokens is max_tokens (default 5), one streamed chunk per token.
 * Behaviour switches at run time: fail (500), hang (never answer), slowMs (delay before headers),
 * chunkDelayMs (gap between streamed chunks) and cutAfter (drop the connection after N chunks).
 */
export interface UpstreamBehaviour {
  fail: boolean;
  hang: boolean;
  slowMs: number;
  chunkDelayMs: number;
  cutAfter: number | null;
}

/** SentUsage is the usage the server put in one answer, keyed by the broker's x-request-id. */
export interface SentUsage {
  requestId: string;
  model: string;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** TestUpstream is a running test server. */
export interface TestUpstream {
  url: string;
  name: string;
  behaviour: UpstreamBehaviour;
  /** sent lists every usage object the server sent (in a body or a final stream chunk) */
  sent: SentUsage[];
  /** calls counts completion requests received; active and maxActive the concurrent ones */
  stats: { calls: number; active: number; maxActive: number };
  set(b: Partial<UpstreamBehaviour>): void;
  close(): Promise<void>;
}

const DEFAULTS: UpstreamBehaviour = { fail: false, hang: false, slowMs: 0, chunkDelayMs: 0, cutAfter: null };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** countWords is the test tokenizer: whitespace-separated words. */
export function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function promptText(body: Record<string, unknown>): string {
  if (typeof body.prompt === 'string') return body.prompt;
  const msgs = Array.isArray(body.messages) ? (body.messages as { content?: unknown }[]) : [];
  return msgs.map((m) => (typeof m.content === 'string' ? m.content : '')).join(' ');
}

/** startTestUpstream listens on a free loopback port and serves `models`. */
export async function startTestUpstream(name: string, models = ['test-slm']): Promise<TestUpstream> {
  const up: Omit<TestUpstream, 'url' | 'close'> = {
    name,
    behaviour: { ...DEFAULTS },
    sent: [],
    stats: { calls: 0, active: 0, maxActive: 0 },
    set(b) {
      Object.assign(up.behaviour, b);
    },
  };
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    void handle(up, models, req, res, hanging).catch(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    ...up,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function handle(
  up: Omit<TestUpstream, 'url' | 'close'>,
  models: string[],
  req: IncomingMessage,
  res: ServerResponse,
  hanging: Set<ServerResponse>,
): Promise<void> {
  if (req.method === 'GET' && req.url === '/v1/models') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data: models.map((id) => ({ id, object: 'model' })) }));
    return;
  }
  const chat = req.url === '/v1/chat/completions';
  if (req.method !== 'POST' || (!chat && req.url !== '/v1/completions')) {
    res.writeHead(404).end();
    return;
  }
  let raw = '';
  for await (const chunk of req) raw += chunk;
  const body = JSON.parse(raw) as Record<string, unknown>;
  const b = { ...up.behaviour };
  up.stats.calls++;
  up.stats.active++;
  up.stats.maxActive = Math.max(up.stats.maxActive, up.stats.active);
  res.on('close', () => up.stats.active--);
  if (b.hang) {
    hanging.add(res);
    return;
  }
  if (b.slowMs) await sleep(b.slowMs);
  if (b.fail) {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'test upstream told to fail', type: 'server_error' } }));
    return;
  }
  const model = String(body.model);
  const prompt_tokens = countWords(promptText(body));
  const completion_tokens = typeof body.max_tokens === 'number' ? body.max_tokens : 5;
  const usage = { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
  const requestId = String(req.headers['x-request-id'] ?? '');
  const base = { id: `cmpl-${requestId}`, created: 0, model };
  if (body.stream !== true) {
    up.sent.push({ requestId, model, ...usage });
    const text = Array.from({ length: completion_tokens }, (_, i) => `tok${i}`).join(' ');
    const choice = chat
      ? { index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }
      : { index: 0, text, finish_reason: 'stop' };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        ...base,
        object: chat ? 'chat.completion' : 'text_completion',
        choices: [choice],
        usage,
      }),
    );
    return;
  }
  await streamAnswer(res, {
    chat,
    base,
    completion_tokens,
    b,
    body,
    usage,
    onUsage: () => up.sent.push({ requestId, model, ...usage }),
  });
}

async function streamAnswer(
  res: ServerResponse,
  a: {
    chat: boolean;
    base: Record<string, unknown>;
    completion_tokens: number;
    b: UpstreamBehaviour;
    body: Record<string, unknown>;
    usage: Record<string, number>;
    onUsage: () => void;
  },
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  const object = a.chat ? 'chat.completion.chunk' : 'text_completion';
  const send = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`);
  for (let i = 0; i < a.completion_tokens; i++) {
    if (a.b.cutAfter !== null && i >= a.b.cutAfter) {
      // let what was written reach the wire, then drop the connection mid-stream
      await sleep(20);
      res.destroy();
      return;
    }
    const choice = a.chat ? { index: 0, delta: { content: `tok${i} ` } } : { index: 0, text: `tok${i} ` };
    send({ ...a.base, object, choices: [choice] });
    if (a.b.chunkDelayMs) await sleep(a.b.chunkDelayMs);
    if (res.destroyed) return;
  }
  if ((a.body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) {
    a.onUsage();
    send({ ...a.base, object, choices: [], usage: a.usage });
  }
  res.end('data: [DONE]\n\n');
}
