import { describe, expect, it } from 'vitest';
import { type BreakerSettings, CircuitBreaker } from './breaker.js';

const S: BreakerSettings = {
  windowMs: 1000,
  minRequests: 4,
  failureRate: 0.5,
  consecutiveFailures: 3,
  slowMs: 100,
  openMs: 500,
  halfOpenProbes: 2,
};

function make(over: Partial<BreakerSettings> = {}) {
  let t = 0;
  const changes: string[] = [];
  const b = new CircuitBreaker(
    { ...S, ...over },
    () => t,
    (s) => changes.push(s),
  );
  const call = (ok: boolean, ms = 1) => {
    expect(b.acquire()).toBe(true);
    b.record(ok, ms);
  };
  return { b, call, changes, advance: (ms: number) => (t += ms) };
}

describe('CircuitBreaker', () => {
  it('opens after consecutive failures and rejects until the open time passed', () => {
    const { b, call, advance } = make({ minRequests: 100 });
    call(false);
    call(false);
    expect(b.current()).toBe('closed');
    call(false);
    expect(b.current()).toBe('open');
    expect(b.acquire()).toBe(false);
    expect(b.retryAfterMs()).toBe(500);
    advance(499);
    expect(b.canPass()).toBe(false);
    advance(1);
    expect(b.current()).toBe('half_open');
  });

  it('opens on the failure rate only once the window holds minRequests calls', () => {
    const { b, call } = make({ consecutiveFailures: 0 });
    call(false);
    call(true);
    call(false);
    expect(b.current()).toBe('closed'); // 3 calls < 4
    call(true);
    expect(b.current()).toBe('open'); // 2 of 4 bad
  });

  it('forgets outcomes older than the window', () => {
    const { b, call, advance } = make({ consecutiveFailures: 0 });
    call(false);
    call(false);
    advance(1001);
    call(true);
    call(true);
    call(false);
    call(true);
    expect(b.current()).toBe('closed'); // 1 of 4 in the window
    expect(b.snapshot().window_calls).toBe(4);
  });

  it('counts slow calls as bad', () => {
    const { b, call } = make({ consecutiveFailures: 0 });
    for (let i = 0; i < 4; i++) call(true, 150);
    expect(b.current()).toBe('open');
  });

  it('half-open admits probeCount calls; that many successes close it, a failure reopens it', () => {
    const { b, call, advance, changes } = make();
    for (let i = 0; i < 3; i++) call(false);
    advance(500);
    expect(b.acquire()).toBe(true);
    expect(b.acquire()).toBe(true);
    expect(b.acquire()).toBe(false); // only 2 probes at a time
    b.record(true, 1);
    b.record(false, 1);
    expect(b.current()).toBe('open');
    advance(500);
    call(true);
    expect(b.current()).toBe('half_open');
    call(true);
    expect(b.current()).toBe('closed');
    expect(changes).toEqual(['open', 'half_open', 'open', 'half_open', 'closed']);
    expect(b.snapshot().opens).toBe(2);
  });

  it('release gives a probe slot back without judging the upstream', () => {
    const { b, call, advance } = make();
    for (let i = 0; i < 3; i++) call(false);
    advance(500);
    expect(b.acquire()).toBe(true);
    expect(b.acquire()).toBe(true);
    b.release();
    expect(b.acquire()).toBe(true);
    expect(b.current()).toBe('half_open');
  });
});
