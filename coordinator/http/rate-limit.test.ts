import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { Env } from './env.js';
import { rateLimit } from './rate-limit.js';

describe('rateLimit', () => {
  it('answers 429 rate_limited with Retry-After once a token spent its burst, per principal, and refills', async () => {
    let t = 0;
    const app = new Hono<Env>();
    app.use('*', async (c, next) => {
      const who = c.req.header('x-who');
      c.set('principal', who === 'admin' ? { kind: 'admin' } : (undefined as never));
      await next();
    });
    app.use('*', rateLimit({ perSecond: 1, burst: 3, now: () => t }));
    app.get('/x', (c) => c.text('ok'));
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await app.request('/x')).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await app.request('/x');
    expect(limited.headers.get('retry-after')).toBe('1');
    expect((await limited.json()).code).toBe('rate_limited');
    expect((await app.request('/x', { headers: { 'x-who': 'admin' } })).status).toBe(200);
    t = 1_000;
    expect((await app.request('/x')).status).toBe(200);
  });
});
