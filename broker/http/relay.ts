import type { Logger } from '../../shared/log.js';
import type { Lease } from '../admission/gate.js';
import { BrokerError } from '../errors.js';
import type { MeteringJournal } from '../metering/journal.js';
import { type MeteringRecord, readUsage, type Usage } from '../metering/record.js';
import { inspect, SseSplitter } from './sse.js';

/** RelayContext is one admitted request on its way back from the upstream to the caller. */
export interface RelayContext {
  requestId: string;
  tenant: string;
  model: string;
  endpoint: MeteringRecord['endpoint'];
  startedAt: Date;
  lease: Lease;
  /** ttfbMs is how long the upstream took to answer headers (the breaker's slowness measure) */
  ttfbMs: number;
  /** wantsUsage: the caller asked for stream usage itself, so the usage chunk is passed on */
  wantsUsage: boolean;
  journal: MeteringJournal;
  log: Logger;
  /** onMetered is told each durable record (metrics, the token rate limit) */
  onMetered: (r: MeteringRecord) => void;
  /** idle re-arms the upstream's silence timeout; called on every chunk */
  idle: () => void;
  done: () => void;
}

function recordOf(x: RelayContext, stream: boolean, usage: Usage | null, chunks: number): MeteringRecord {
  return {
    v: 1,
    request_id: x.requestId,
    tenant: x.tenant,
    model: x.model,
    upstream: x.lease.upstream.name,
    endpoint: x.endpoint,
    stream,
    status: usage ? 'ok' : 'usage_unknown',
    prompt_tokens: usage?.prompt_tokens ?? null,
    completion_tokens: usage?.completion_tokens ?? null,
    total_tokens: usage?.total_tokens ?? null,
    streamed_chunks: chunks,
    started_at: x.startedAt.toISOString(),
    ended_at: new Date().toISOString(),
  };
}

async function meter(x: RelayContext, r: MeteringRecord): Promise<void> {
  await x.journal.append(r);
  x.onMetered(r);
}

/** relayJson reads a whole non-streamed answer, makes its metering record durable, then answers. */
export async function relayJson(x: RelayContext, res: Response): Promise<Response> {
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    x.lease.finish({ reached: true, ok: false, elapsedMs: x.ttfbMs });
    x.done();
    throw new BrokerError('upstream_error', `Upstream ${x.lease.upstream.name} cut its answer`, {
      cause: err,
    });
  }
  x.lease.finish({ reached: true, ok: true, elapsedMs: x.ttfbMs });
  try {
    let usage: Usage | null = null;
    try {
      usage = readUsage((JSON.parse(text) as { usage?: unknown }).usage);
    } catch {
      // not JSON: passed on as it came, metered usage_unknown
    }
    await meter(x, recordOf(x, false, usage, 0));
  } finally {
    x.done();
  }
  return new Response(text, { status: 200, headers: { 'content-type': 'application/json' } });
}

/**
 * relayStream passes the upstream's SSE events on as they arrive. It reads usage from the final
 * chunk and, before the caller's stream ends, makes the metering record durable: `ok` with that
 * usage, or `usage_unknown` when the stream was cut (either side) before usage came.
 */
export function relayStream(x: RelayContext, res: Response): Response {
  const reader = res.body!.getReader();
  const split = new SseSplitter();
  const enc = new TextEncoder();
  let usage: Usage | null = null;
  let chunks = 0;
  let settled = false;
  const settle = async (upstreamOk: boolean) => {
    if (settled) return;
    settled = true;
    x.lease.finish({ reached: true, ok: upstreamOk, elapsedMs: x.ttfbMs });
    try {
      await meter(x, recordOf(x, true, usage, chunks));
    } finally {
      x.done();
    }
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (err) {
        x.log.warn('upstream stream cut', { request_id: x.requestId, upstream: x.lease.upstream.name, err });
        await settle(false).catch(() => {});
        ctl.error(err);
        return;
      }
      if (r.done) {
        try {
          await settle(split.rest().trim() === '');
        } catch (err) {
          // the record could not be made durable: the caller must not see a complete answer
          ctl.error(err);
          return;
        }
        ctl.close();
        return;
      }
      x.idle();
      let out = '';
      for (const ev of split.push(r.value)) {
        const info = inspect(ev);
        if (info.usage) usage = info.usage;
        if (!info.done && !info.usageOnly && ev.data !== null) chunks++;
        if (info.usageOnly && !x.wantsUsage) continue;
        out += ev.raw;
      }
      if (out) ctl.enqueue(enc.encode(out));
    },
    async cancel() {
      // the caller went away: stop the upstream and meter what we know
      await reader.cancel().catch(() => {});
      await settle(true).catch(() => {});
    },
  });
  return new Response(body, {
    status: 200,
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' },
  });
}
