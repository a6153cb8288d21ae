import { describe, expect, it } from 'vitest';
import { createLogger } from '../../shared/log.js';
import type { BrokerError } from '../errors.js';
import { UpstreamPool } from '../upstreams/pool.js';
import { AdmissionGate } from './gate.js';
import { RateLimiter } from './rate.js';

const log = createLogger({ component: 'broker', sink: () => {} });
const breaker = {
  windowMs: 1000,
  minRequests: 100,
  failureRate: 1,
  consecutiveFailures: 1,
  slowMs: 10_000,
  openMs: 60_000,
  halfOpenProbes: 1,
};

function setup(limits: Partial<ConstructorParameters<typeof AdmissionGate>[1]> = {}) {
  const pool = new UpstreamPool(
    [
      { name: 'a', url: 'http://a' },
      { name: 'b', url: 'http://b' },
    ],
    breaker,
    { log, routing: 'least-outstanding' },
  );
  for (const u of pool.all()) u.models = new Set(['m']);
  const gate = new AdmissionGate(pool, {
    upstreamConcurrency: 1,
    tenantConcurrency: 10,
    queueLength: 1,
    queueWaitMs: 50,
    ...limits,
  });
  return { pool, gate };
}

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'admitted',
    (e: BrokerError) => e.code,
  );
const ok = { reached: true, ok: true, elapsedMs: 1 };

describe('AdmissionGate', () => {
  it('spreads by least outstanding, queues one, refuses the rest at once', async () => {
    const { gate } = setup();
    const l1 = await gate.admit('t', 'm');
    const l2 = await gate.admit('t', 'm');
    expect([l1.upstream.name, l2.upstream.name].sort()).toEqual(['a', 'b']);
    const waiting = gate.admit('t', 'm');
    expect(await codeOf(gate.admit('t', 'm'))).toBe('admission_full');
    l1.finish(ok);
    const l3 = await waiting;
    expect(l3.upstream.name).toBe(l1.upstream.name);
    expect(gate.state()).toMatchObject({ in_flight: 2, waiting: 0 });
  });

  it('refuses a waiter whose bounded wait ran out', async () => {
    const { gate } = setup();
    await gate.admit('t', 'm');
    await gate.admit('t', 'm');
    const t0 = Date.now();
    expect(await codeOf(gate.admit('t', 'm'))).toBe('admission_full');
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('holds each tenant to its concurrency', async () => {
    const { gate } = setup({ tenantConcurrency: 1, queueLength: 0 });
    await gate.admit('t1', 'm');
    expect(await codeOf(gate.admit('t1', 'm'))).toBe('admission_full');
    expect(await codeOf(gate.admit('t2', 'm'))).toBe('admitted');
  });

  it('answers no_upstream when every circuit is open or no upstream serves the model', async () => {
    const { gate } = setup();
    for (let i = 0; i < 2; i++)
      (await gate.admit('t', 'm')).finish({ reached: true, ok: false, elapsedMs: 1 });
    const err = await gate.admit('t', 'm').catch((e: BrokerError) => e);
    expect(err).toMatchObject({ code: 'no_upstream' });
    expect((err as BrokerError).retryAfterS).toBeGreaterThan(0);
    expect(await codeOf(gate.admit('t', 'other'))).toBe('no_upstream');
  });

  it('closed by the license it refuses new requests and waiters, while leases finish', async () => {
    const { gate } = setup();
    const held = await gate.admit('t', 'm');
    await gate.admit('t', 'm');
    const waiting = codeOf(gate.admit('t', 'm'));
    gate.close('License expired');
    expect(await waiting).toBe('license_invalid');
    expect(await codeOf(gate.admit('t', 'm'))).toBe('license_invalid');
    held.finish(ok);
    expect(gate.state()).toMatchObject({ open: false, in_flight: 1 });
    gate.open();
    expect(await codeOf(gate.admit('t', 'm'))).toBe('admitted');
  });
});

describe('RateLimiter', () => {
  it('counts requests and tokens per tenant over a sliding minute', () => {
    let t = 0;
    const r = new RateLimiter(2, 100, () => t);
    r.check('a');
    r.check('a');
    expect(() => r.check('a')).toThrow(expect.objectContaining({ code: 'rate_limit_requests' }));
    r.check('b');
    r.addTokens('b', 100);
    expect(() => r.check('b')).toThrow(expect.objectContaining({ code: 'rate_limit_tokens' }));
    t += 60_001;
    r.check('a');
    r.check('b');
  });

  it('limits nothing at 0', () => {
    const r = new RateLimiter(0, 0);
    for (let i = 0; i < 1000; i++) r.check('a');
  });
});
