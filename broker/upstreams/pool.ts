import type { Logger } from '../../shared/log.js';
import { type BreakerSettings, type BreakerSnapshot, CircuitBreaker } from './breaker.js';

/** UpstreamSpec is one configured OpenAI-compatible server: a name and its base URL (before /v1). */
export interface UpstreamSpec {
  name: string;
  url: string;
}

/** Upstream is one server's live state: health, models, requests in flight and its breaker. */
export interface Upstream {
  readonly name: string;
  readonly url: string;
  healthy: boolean;
  models: Set<string>;
  outstanding: number;
  lastCheck: string | null;
  lastError: string | null;
  readonly breaker: CircuitBreaker;
}

/** UpstreamStatus is an upstream as /v1/broker/status shows it. */
export interface UpstreamStatus {
  name: string;
  healthy: boolean;
  models: string[];
  outstanding: number;
  last_check: string | null;
  last_error: string | null;
  breaker: BreakerSnapshot;
}

/** parseUpstreams reads "NAME=URL,NAME=URL"; throws a plain message on a bad entry. */
export function parseUpstreams(text: string | undefined): UpstreamSpec[] {
  if (!text?.trim()) return [];
  const seen = new Set<string>();
  return text.split(',').map((entry) => {
    const m = /^([A-Za-z0-9_.-]{1,64})=(https?:\/\/\S+)$/.exec(entry.trim());
    if (!m) throw new Error(`expected NAME=http(s)://HOST:PORT, got ${JSON.stringify(entry.trim())}`);
    const [, name, url] = m as unknown as [string, string, string];
    if (seen.has(name)) throw new Error(`upstream name ${name} given twice`);
    seen.add(name);
    return { name, url: url.replace(/\/+$/, '') };
  });
}

/** UpstreamPool holds the upstreams, checks their health and picks one per request. */
export class UpstreamPool {
  private readonly list: Upstream[];
  private rr = 0;

  constructor(
    specs: readonly UpstreamSpec[],
    breaker: BreakerSettings,
    private readonly opts: {
      log: Logger;
      routing: 'least-outstanding' | 'round-robin';
      onBreaker?: (upstream: string, state: string) => void;
      fetchFn?: typeof fetch;
    },
  ) {
    this.list = specs.map((s) => ({
      ...s,
      healthy: true,
      models: new Set<string>(),
      outstanding: 0,
      lastCheck: null,
      lastError: null,
      breaker: new CircuitBreaker(breaker, Date.now, (state) => {
        opts.log.warn('circuit changed', { upstream: s.name, state });
        opts.onBreaker?.(s.name, state);
      }),
    }));
  }

  /** all lists every upstream. */
  all(): readonly Upstream[] {
    return this.list;
  }

  /** serving lists healthy upstreams that offer the model. */
  serving(model: string): Upstream[] {
    return this.list.filter((u) => u.healthy && u.models.has(model));
  }

  /** knowsModel tells whether any upstream (healthy or not) lists the model. */
  knowsModel(model: string): boolean {
    return this.list.some((u) => u.models.has(model));
  }

  /** models lists every model a healthy upstream offers, sorted. */
  models(): string[] {
    return [...new Set(this.list.filter((u) => u.healthy).flatMap((u) => [...u.models]))].sort();
  }

  /** pick chooses among upstreams with a free slot whose circuit passes, by the routing policy. */
  pick(candidates: readonly Upstream[], limit: number): Upstream | null {
    const free = candidates.filter((u) => u.outstanding < limit && u.breaker.canPass());
    if (free.length === 0) return null;
    if (this.opts.routing === 'round-robin') return free[this.rr++ % free.length]!;
    return free.reduce((best, u) => (u.outstanding < best.outstanding ? u : best));
  }

  /** checkAll refreshes every upstream's health and model list from GET /v1/models. */
  async checkAll(timeoutMs: number): Promise<void> {
    await Promise.all(this.list.map((u) => this.check(u, timeoutMs)));
  }

  private async check(u: Upstream, timeoutMs: number): Promise<void> {
    const f = this.opts.fetchFn ?? fetch;
    try {
      const res = await f(`${u.url}/v1/models`, { signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) throw new Error(`status ${res.status}`);
      const body = (await res.json()) as { data?: { id?: unknown }[] };
      u.models = new Set(
        (body.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string'),
      );
      if (!u.healthy) this.opts.log.info('upstream healthy', { upstream: u.name });
      u.healthy = true;
      u.lastError = null;
    } catch (err) {
      if (u.healthy) this.opts.log.warn('upstream unhealthy', { upstream: u.name, err });
      u.healthy = false;
      u.lastError = err instanceof Error ? err.message : String(err);
    }
    u.lastCheck = new Date().toISOString();
  }

  /** status is every upstream as /v1/broker/status shows it. */
  status(): UpstreamStatus[] {
    return this.list.map((u) => ({
      name: u.name,
      healthy: u.healthy,
      models: [...u.models].sort(),
      outstanding: u.outstanding,
      last_check: u.lastCheck,
      last_error: u.lastError,
      breaker: u.breaker.snapshot(),
    }));
  }
}
