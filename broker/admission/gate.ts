import { BrokerError } from '../errors.js';
import type { Upstream, UpstreamPool } from '../upstreams/pool.js';

/** GateLimits bound the broker's concurrency and its one wait line. */
export interface GateLimits {
  upstreamConcurrency: number;
  tenantConcurrency: number;
  /** queueLength 0: no waiting at all, a full broker answers 503 at once */
  queueLength: number;
  queueWaitMs: number;
}

/** Lease is one admitted request's slots; finish() gives them back exactly once. */
export interface Lease {
  readonly upstream: Upstream;
  /** finish reports the outcome to the upstream's breaker (reached false: the call never went out). */
  finish(outcome: { reached: boolean; ok: boolean; elapsedMs: number }): void;
}

interface Waiter {
  tenant: string;
  candidates: Upstream[];
  resolve: (lease: Lease) => void;
  reject: (err: BrokerError) => void;
  timer: NodeJS.Timeout;
}

/**
 * AdmissionGate admits a request only with a free tenant slot and a free upstream slot whose
 * circuit passes. Beyond that it lets at most queueLength requests wait, each at most queueWaitMs;
 * anything more is 503 admission_full at once, and with no upstream able to serve it, 503 no_upstream.
 * The license gate closes it for new requests only: leases already given finish normally.
 */
export class AdmissionGate {
  private readonly tenantInFlight = new Map<string, number>();
  private readonly waiters: Waiter[] = [];
  private closedReason: string | null = null;
  private closedCode: 'license_invalid' | 'admission_full' = 'license_invalid';
  private admittedCount = 0;

  constructor(
    private readonly pool: UpstreamPool,
    private readonly limits: GateLimits,
  ) {}

  /** close shuts the gate to new requests with a reason and code (the license fault, or shutdown); waiting requests get 503. */
  close(reason: string, code: 'license_invalid' | 'admission_full' = 'license_invalid'): void {
    this.closedReason = reason;
    this.closedCode = code;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new BrokerError(code, reason, { retryAfterS: 30 }));
    }
  }

  /** open lets new requests in again. */
  open(): void {
    this.closedReason = null;
  }

  /** state is the gate as /v1/broker/status shows it. */
  state(): { open: boolean; reason: string | null; in_flight: number; waiting: number } {
    return {
      open: this.closedReason === null,
      reason: this.closedReason,
      in_flight: this.admittedCount,
      waiting: this.waiters.length,
    };
  }

  /** admit waits (boundedly) for slots for tenant on an upstream serving model; excluded upstreams are skipped. */
  admit(tenant: string, model: string, exclude: ReadonlySet<string> = new Set()): Promise<Lease> {
    if (this.closedReason !== null)
      return Promise.reject(new BrokerError(this.closedCode, this.closedReason, { retryAfterS: 30 }));
    const candidates = this.pool.serving(model).filter((u) => !exclude.has(u.name));
    const passable = candidates.filter((u) => u.breaker.canPass() || u.outstanding > 0);
    if (passable.length === 0) return Promise.reject(this.noUpstream(model, candidates));
    const lease = this.tryTake(tenant, candidates);
    if (lease) return Promise.resolve(lease);
    if (this.waiters.length >= this.limits.queueLength)
      return Promise.reject(
        new BrokerError('admission_full', 'Broker at capacity: try again shortly', { retryAfterS: 1 }),
      );
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        tenant,
        candidates,
        resolve,
        reject,
        timer: undefined as unknown as NodeJS.Timeout,
      };
      w.timer = setTimeout(() => {
        this.drop(w);
        reject(new BrokerError('admission_full', 'No slot freed within the wait limit', { retryAfterS: 1 }));
      }, this.limits.queueWaitMs);
      this.waiters.push(w);
    });
  }

  private noUpstream(model: string, candidates: readonly Upstream[]): BrokerError {
    if (candidates.length === 0)
      return new BrokerError('no_upstream', `No healthy upstream serves model ${model}`, { retryAfterS: 5 });
    const waitMs = Math.min(...candidates.map((u) => u.breaker.retryAfterMs()));
    return new BrokerError('no_upstream', `Every upstream for model ${model} has its circuit open`, {
      retryAfterS: Math.max(1, Math.ceil(waitMs / 1000)),
    });
  }

  private tryTake(tenant: string, candidates: readonly Upstream[]): Lease | null {
    const held = this.tenantInFlight.get(tenant) ?? 0;
    if (held >= this.limits.tenantConcurrency) return null;
    const u = this.pool.pick(candidates, this.limits.upstreamConcurrency);
    if (!u?.breaker.acquire()) return null;
    this.tenantInFlight.set(tenant, held + 1);
    u.outstanding++;
    this.admittedCount++;
    let done = false;
    return {
      upstream: u,
      finish: ({ reached, ok, elapsedMs }) => {
        if (done) return;
        done = true;
        if (reached) u.breaker.record(ok, elapsedMs);
        else u.breaker.release();
        u.outstanding--;
        this.admittedCount--;
        const left = (this.tenantInFlight.get(tenant) ?? 1) - 1;
        if (left > 0) this.tenantInFlight.set(tenant, left);
        else this.tenantInFlight.delete(tenant);
        this.wake();
      },
    };
  }

  /** wake hands freed slots to waiters in arrival order (a waiter that still cannot run keeps its place). */
  private wake(): void {
    for (const w of [...this.waiters]) {
      if (this.closedReason !== null) return;
      const lease = this.tryTake(w.tenant, w.candidates);
      if (!lease) continue;
      this.drop(w);
      clearTimeout(w.timer);
      w.resolve(lease);
    }
  }

  private drop(w: Waiter): void {
    const i = this.waiters.indexOf(w);
    if (i >= 0) this.waiters.splice(i, 1);
  }
}
