import type { MiddlewareHandler } from 'hono';
import { principalId } from './audit-attempts.js';
import type { Env } from './env.js';
import { problem } from './problem.js';

/** RateLimitOptions: a token bucket per principal, refilled at `perSecond` up to `burst`. */
export interface RateLimitOptions {
  perSecond: number;
  burst: number;
  now?: () => number;
}

/**
 * rateLimit answers 429 `rate_limited` with Retry-After once a principal (admin, one tenant, or
 * all unauthenticated callers together) has spent its bucket. Run it after authentication.
 */
export function rateLimit(o: RateLimitOptions): MiddlewareHandler<Env> {
  const now = o.now ?? Date.now;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (c, next) => {
    const key = principalId(c.get('principal'));
    const t = now();
    const b = buckets.get(key) ?? { tokens: o.burst, at: t };
    b.tokens = Math.min(o.burst, b.tokens + ((t - b.at) / 1000) * o.perSecond);
    b.at = t;
    buckets.set(key, b);
    if (b.tokens < 1) {
      const retry = Math.max(1, Math.ceil((1 - b.tokens) / o.perSecond));
      return Promise.resolve(
        problem(
          c,
          'rate_limited',
          `Too many requests; retry in ${retry} s`,
          {},
          { 'retry-after': String(retry) },
        ),
      );
    }
    b.tokens -= 1;
    return next();
  };
}
