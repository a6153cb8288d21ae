import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Env } from './env.js';

/**
 * limitBody refuses request bodies over maxSize with onError's answer, without building a web
 * Request for the body when node's HTTP parser already says how long it is. hono's bodyLimit reads
 * `c.req.raw.body`, which makes @hono/node-server build an undici Request and a web stream around
 * the socket for every request (about a quarter of a millisecond of CPU per create); the route then
 * reads the body through the lightweight request's direct path instead. On node, an HTTP/1.1
 * request without Content-Length or Transfer-Encoding has no body, and one with Content-Length
 * carries exactly that many bytes (the parser enforces it), so the header decides. Chunked bodies,
 * and requests that did not come through node's server (app.request in tests), are counted as they
 * stream by hono's bodyLimit, as before.
 */
export function limitBody(
  maxSize: number,
  onError: (c: Context<Env>) => Response | Promise<Response>,
): MiddlewareHandler<Env> {
  const streamed = bodyLimit({ maxSize, onError });
  return (c, next) => {
    const fromNode = (c.env as { incoming?: unknown } | undefined)?.incoming !== undefined;
    if (!fromNode || c.req.header('transfer-encoding') !== undefined) return streamed(c, next);
    const length = c.req.header('content-length');
    if (length !== undefined && Number.parseInt(length, 10) > maxSize) return Promise.resolve(onError(c));
    return next();
  };
}
