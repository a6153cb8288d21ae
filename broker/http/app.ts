import { randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { isVmpoolError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { Authenticator, Caller } from '../auth/auth.js';
import { BROKER_ERROR_STATUS, BrokerError, type BrokerErrorCode, openAiError } from '../errors.js';
import type { BrokerMetrics } from './metrics.js';
import { type InferenceDeps, runInference } from './inference.js';
import { billingRoutes, type BillingDeps } from './routes-billing.js';

/** BrokerAppDeps is everything the broker's HTTP layer calls into. */
export interface BrokerAppDeps extends InferenceDeps, Omit<BillingDeps, 'caller'> {
  auth: Authenticator;
  metrics: BrokerMetrics;
  log: Logger;
}

/** BrokerEnv is the per-request context: the caller and the request id. */
export type BrokerEnv = { Variables: { caller: Caller; requestId: string } };

const InferenceBodySchema = z.looseObject({
  model: z.string().min(1).max(256),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).optional(),
});

/** errorAnswer renders any thrown value as an OpenAI error body, with Retry-After on 429/503. */
export function errorAnswer(c: Context, err: unknown, log: Logger): Response {
  const known = isVmpoolError(err) && Object.hasOwn(BROKER_ERROR_STATUS, err.code);
  if (!known) log.error('request failed', { err, request_id: c.get('requestId') });
  const code = (known ? err.code : 'internal') as BrokerErrorCode;
  const message = known ? err.message : 'Internal error; see the broker log';
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (err instanceof BrokerError && err.retryAfterS !== undefined)
    headers['retry-after'] = String(err.retryAfterS);
  return new Response(JSON.stringify(openAiError(code, message)), {
    status: BROKER_ERROR_STATUS[code],
    headers,
  });
}

/** createBrokerApp builds the broker's HTTP API: OpenAI front, status, billing, health and metrics. */
export function createBrokerApp(d: BrokerAppDeps): Hono<BrokerEnv> {
  const app = new Hono<BrokerEnv>();
  app.onError((err, c) => errorAnswer(c, err, d.log));
  app.notFound((c) => errorAnswer(c, new BrokerError('not_found', 'No such route'), d.log));
  app.use('*', async (c, next) => {
    c.set('requestId', sanitizeId(c.req.header('x-request-id')) ?? `req-${randomUUID()}`);
    await next();
    c.header('x-request-id', c.get('requestId'));
  });
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/metrics', async (c) =>
    c.text(await d.metrics.render(), 200, { 'content-type': d.metrics.contentType }),
  );
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: 1024 * 1024,
      onError: (c) =>
        errorAnswer(c, new BrokerError('payload_too_large', 'Request body exceeds 1 MiB'), d.log),
    }),
  );
  app.use('/v1/*', async (c, next) => {
    const m = /^Bearer ([\x21-\x7e]+)$/.exec(c.req.header('authorization')?.trim() ?? '');
    c.set('caller', await d.auth.authenticate(m?.[1] ?? null));
    await next();
  });
  app.get('/v1/models', (c) =>
    c.json({
      object: 'list',
      data: d.pool.models().map((id) => ({ id, object: 'model', owned_by: 'vmpool' })),
    }),
  );
  app.post('/v1/chat/completions', (c) => inference(c, d, 'chat.completions'));
  app.post('/v1/completions', (c) => inference(c, d, 'completions'));
  app.get('/v1/broker/status', (c) => {
    if (c.get('caller').kind !== 'admin')
      throw new BrokerError('permission_denied', 'Status is for the broker admin');
    return c.json({ gate: d.gate.state(), license: d.license(), upstreams: d.pool.status() });
  });
  app.route('/', billingRoutes({ ...d }));
  return app;
}

async function inference(
  c: Context<BrokerEnv>,
  d: BrokerAppDeps,
  endpoint: 'chat.completions' | 'completions',
) {
  const started = Date.now();
  let code = 'ok';
  try {
    const caller = c.get('caller');
    if (caller.kind !== 'tenant')
      throw new BrokerError('permission_denied', 'Inference needs a tenant token or API key');
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      throw new BrokerError('invalid_request', 'Body is not JSON');
    }
    const parsed = InferenceBodySchema.safeParse(raw);
    if (!parsed.success)
      throw new BrokerError(
        'invalid_request',
        `Bad request body: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      );
    const requestId = c.get('requestId');
    return await runInference(d, { requestId, tenant: caller.tenant, endpoint, body: parsed.data });
  } catch (err) {
    code = isVmpoolError(err) ? err.code : 'internal';
    if (err instanceof BrokerError && err.status >= 429) d.metrics.rejections.inc({ reason: code });
    throw err;
  } finally {
    d.metrics.requests.inc({ endpoint, code });
    d.metrics.duration.observe({ endpoint }, (Date.now() - started) / 1000);
  }
}

function sanitizeId(v: string | undefined): string | undefined {
  return v && /^[A-Za-z0-9._:-]{1,64}$/.test(v) ? v : undefined;
}
