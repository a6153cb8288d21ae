/** BreakerSettings are a circuit breaker's thresholds (see BrokerConfigSchema for their meaning). */
export interface BreakerSettings {
  windowMs: number;
  minRequests: number;
  failureRate: number;
  /** consecutiveFailures 0 turns the consecutive-failure rule off */
  consecutiveFailures: number;
  slowMs: number;
  openMs: number;
  halfOpenProbes: number;
}

/** BreakerState is where a circuit is: passing calls, rejecting them, or letting probes through. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** BreakerSnapshot is a breaker as /v1/broker/status shows it. */
export interface BreakerSnapshot {
  state: BreakerState;
  window_calls: number;
  window_failures: number;
  consecutive_failures: number;
  opened_at: string | null;
  retry_at: string | null;
  opens: number;
}

interface Outcome {
  at: number;
  bad: boolean;
}

/**
 * CircuitBreaker guards one upstream. Closed, it counts outcomes in a rolling window and opens when
 * the bad (failed or slow) fraction reaches the rate with at least minRequests calls, or after
 * consecutiveFailures in a row. Open, it rejects until openMs passed; then half-open admits
 * halfOpenProbes calls at a time: that many successes close it, any failure opens it again.
 */
export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private outcomes: Outcome[] = [];
  private consecutive = 0;
  private openedAt = 0;
  private probesInFlight = 0;
  private probeSuccesses = 0;
  private opensCount = 0;

  constructor(
    private readonly s: BreakerSettings,
    private readonly now: () => number = Date.now,
    private readonly onChange: (state: BreakerState) => void = () => {},
  ) {}

  /** current is the state at this moment (an open circuit past its open time reads half_open). */
  current(): BreakerState {
    if (this.state === 'open' && this.now() - this.openedAt >= this.s.openMs) this.move('half_open');
    return this.state;
  }

  /** canPass tells whether a call may go now, without reserving it. */
  canPass(): boolean {
    const st = this.current();
    return st === 'closed' || (st === 'half_open' && this.probesInFlight < this.s.halfOpenProbes);
  }

  /** acquire reserves passage for one call; false when the circuit rejects it. Pair with record(). */
  acquire(): boolean {
    if (!this.canPass()) return false;
    if (this.state === 'half_open') this.probesInFlight++;
    return true;
  }

  /** retryAfterMs is how long until an open circuit lets a probe through (0 unless open). */
  retryAfterMs(): number {
    return this.current() === 'open' ? Math.max(0, this.openedAt + this.s.openMs - this.now()) : 0;
  }

  /** record reports an acquired call's outcome: ok false for a failure, elapsedMs to judge slowness. */
  record(ok: boolean, elapsedMs: number): void {
    const bad = !ok || elapsedMs >= this.s.slowMs;
    if (this.state === 'half_open') {
      this.recordProbe(bad);
      return;
    }
    if (this.state === 'open') return; // a call admitted before the circuit opened
    const at = this.now();
    this.outcomes.push({ at, bad });
    this.prune(at);
    this.consecutive = ok ? 0 : this.consecutive + 1;
    if (this.shouldOpen()) this.open();
  }

  /** release gives back an acquired call that never reached the upstream (no outcome to judge). */
  release(): void {
    if (this.state === 'half_open' && this.probesInFlight > 0) this.probesInFlight--;
  }

  /** snapshot is the breaker's state for status pages and metrics. */
  snapshot(): BreakerSnapshot {
    const state = this.current();
    this.prune(this.now());
    const open = state === 'open';
    return {
      state,
      window_calls: this.outcomes.length,
      window_failures: this.outcomes.filter((o) => o.bad).length,
      consecutive_failures: this.consecutive,
      opened_at: open ? new Date(this.openedAt).toISOString() : null,
      retry_at: open ? new Date(this.openedAt + this.s.openMs).toISOString() : null,
      opens: this.opensCount,
    };
  }

  private recordProbe(bad: boolean): void {
    if (this.probesInFlight > 0) this.probesInFlight--;
    if (bad) {
      this.open();
      return;
    }
    this.probeSuccesses++;
    if (this.probeSuccesses >= this.s.halfOpenProbes) {
      this.outcomes = [];
      this.consecutive = 0;
      this.move('closed');
    }
  }

  private shouldOpen(): boolean {
    if (this.s.consecutiveFailures > 0 && this.consecutive >= this.s.consecutiveFailures) return true;
    const n = this.outcomes.length;
    if (n === 0 || n < this.s.minRequests) return false;
    return this.outcomes.filter((o) => o.bad).length / n >= this.s.failureRate;
  }

  private open(): void {
    this.openedAt = this.now();
    this.opensCount++;
    this.probesInFlight = 0;
    this.move('open');
  }

  private move(to: BreakerState): void {
    if (to !== 'half_open') this.probeSuccesses = 0;
    if (to === 'half_open') {
      this.probeSuccesses = 0;
      this.probesInFlight = 0;
    }
    if (this.state === to) return;
    this.state = to;
    this.onChange(to);
  }

  private prune(at: number): void {
    const from = at - this.s.windowMs;
    let i = 0;
    while (i < this.outcomes.length && this.outcomes[i]!.at < from) i++;
    if (i > 0) this.outcomes.splice(0, i);
  }
}
