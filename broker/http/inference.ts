import type { Logger } from '../../shared/log.js';
import type { AdmissionGate, Lease } from '../admission/gate.js';
import type { RateLimiter } from '../admission/rate.js';
import { BrokerError } from '../errors.js';
import type { MeteringJournal } from '../metering/journal.js';
import type { MeteringRecord } from '../metering/record.js';
import type { UpstreamPool } from '../upstreams/pool.js';
import { relayJson, relayStream } from './relay.js';

/** InferenceDeps is what an inference request passes through: gate, limits, upstreams, journal. */
export interface InferenceDeps {
  pool: UpstreamPool;
  gate: AdmissionGate;
  rate: RateLimiter;
  journal: MeteringJournal;
  upstreamTimeoutMs: number;
  log: Logger;
  onMetered: (r: MeteringRecord) => void;
  /** inFlight counts admitted requests until their answer (stream included) ended */
  inFlight: { inc(): void; dec(): void };
}

/** InferenceRequest is one caller's validated call. */
export interface InferenceRequest {
  requestId: string;
  tenant: string;
  endpoint: MeteringRecord['endpoint'];
  body: Record<string, unknown> & { model: string };
}

const PATH = { 'chat.completions': '/v1/chat/completions', completions: '/v1/completions' } as const;
const ATTEMPTS = 2;

/**
 * runInference admits the request, sends it to an upstream and relays the answer. A call that
 * fails before any answer byte (connection refused, timeout, 5xx) counts against that upstream's
 * breaker and is tried once more on another upstream; after that the caller gets 502/504.
 */
export async function runInference(d: InferenceDeps, q: InferenceRequest): Promise<Response> {
  d.rate.check(q.tenant);
  if (!d.pool.knowsModel(q.body.model))
    throw new BrokerError('model_not_found', `The model ${q.body.model} does not exist`);
  const stream = q.body.stream === true;
  const wantsUsage = stream && (q.body.stream_options as { include_usage?: unknown })?.include_usage === true;
  const payload = stream
    ? { ...q.body, stream_options: { ...(q.body.stream_options as object), include_usage: true } }
    : q.body;
  const tried = new Set<string>();
  let last: BrokerError | null = null;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    let lease: Lease;
    try {
      lease = await d.gate.admit(q.tenant, q.body.model, tried);
    } catch (err) {
      throw attempt > 0 && last ? last : err;
    }
    tried.add(lease.upstream.name);
    const answer = await attemptOnce(d, q, lease, payload, stream, wantsUsage);
    if (answer instanceof Response) return answer;
    last = answer;
  }
  throw last!;
}

async function attemptOnce(
  d: InferenceDeps,
  q: InferenceRequest,
  lease: Lease,
  payload: unknown,
  stream: boolean,
  wantsUsage: boolean,
): Promise<Response | BrokerError> {
  const startedAt = new Date();
  const abort = new AbortController();
  let timer = setTimeout(() => abort.abort(), d.upstreamTimeoutMs);
  const idle = () => {
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(), d.upstreamTimeoutMs);
  };
  d.inFlight.inc();
  const done = () => {
    clearTimeout(timer);
    d.inFlight.dec();
  };
  const u = lease.upstream;
  let res: Response;
  try {
    res = await fetch(u.url + PATH[q.endpoint], {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': q.requestId },
      body: JSON.stringify(payload),
      signal: abort.signal,
    });
  } catch (err) {
    const ttfbMs = Date.now() - startedAt.getTime();
    lease.finish({ reached: true, ok: false, elapsedMs: ttfbMs });
    done();
    d.log.warn('upstream call failed', { request_id: q.requestId, upstream: u.name, err });
    return abort.signal.aborted
      ? new BrokerError('upstream_timeout', `Upstream ${u.name} did not answer in time`, { cause: err })
      : new BrokerError('upstream_error', `Upstream ${u.name} is unreachable`, { cause: err });
  }
  const ttfbMs = Date.now() - startedAt.getTime();
  if (res.status >= 500) {
    await res.body?.cancel().catch(() => {});
    lease.finish({ reached: true, ok: false, elapsedMs: ttfbMs });
    done();
    d.log.warn('upstream answered an error', {
      request_id: q.requestId,
      upstream: u.name,
      status: res.status,
    });
    return new BrokerError('upstream_error', `Upstream ${u.name} answered ${res.status}`);
  }
  if (res.status >= 400 || !res.body) {
    // the caller's own mistake as the upstream saw it: passed on, not the upstream's failure
    const text = await res.text().catch(() => '');
    lease.finish({ reached: true, ok: true, elapsedMs: ttfbMs });
    done();
    return new Response(text, { status: res.status, headers: { 'content-type': 'application/json' } });
  }
  const x = {
    requestId: q.requestId,
    tenant: q.tenant,
    model: q.body.model,
    endpoint: q.endpoint,
    startedAt,
    lease,
    ttfbMs,
    wantsUsage,
    journal: d.journal,
    log: d.log,
    onMetered: d.onMetered,
    idle,
    done,
  };
  return stream ? relayStream(x, res) : relayJson(x, res);
}
