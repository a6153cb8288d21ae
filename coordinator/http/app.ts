import { randomBytes, randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { VmpoolError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import { parseOrThrow } from '../../shared/validation.js';
import type { AuditLog } from '../audit/index.js';
import { type BandConfig, bandSummary } from '../bands/index.js';
import type { NodeRegistry } from '../registry/registry.js';
import type { Store } from '../store/index.js';
import { authenticate, bearerFromHeader, generateToken, type Principal } from '../tenants/index.js';
import type { Caller, VmService } from '../vms/service.js';
import type { Metrics } from './metrics.js';
import { nodeDetail, nodeRows } from './nodes.js';
import { errorResponse, problem } from './problem.js';

/** AppDeps is everything the HTTP layer calls into. */
export interface AppDeps {
  store: Store;
  registry: NodeRegistry;
  vms: VmService;
  audit: AuditLog;
  verifyAudit: () => Promise<unknown>;
  bands: BandConfig;
  adminTokenHash: string;
  overcommit: number;
  metrics: Metrics;
  log: Logger;
}

type Env = { Variables: { principal: Principal; requestId: string } };

const TenantCreateSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/),
  quota: z.strictObject({
    vcpus: z.number().int().min(0).max(1_000_000),
    memory_mb: z.number().int().min(0).max(1_000_000_000),
    vms: z.number().int().min(0).max(100_000),
  }),
});

const AUDIT_FILTERS = ['tenant', 'vm', 'since', 'before'] as const;
const AuditFilterSchema = z.strictObject({
  tenant: z.string().max(64).optional(),
  vm: z.string().max(64).optional(),
  since: z.coerce.number().int().nonnegative().optional(),
  before: z.coerce.number().int().positive().optional(),
});

/** pickQuery keeps the named, non-empty query parameters. */
function pickQuery(query: Record<string, string>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter(([k, v]) => names.includes(k) && v !== ''));
}

/** createApp builds the coordinator's HTTP API: routes validate, call the controller, and map errors once. */
export function createApp(d: AppDeps): Hono<Env> {
  const app = new Hono<Env>();
  app.onError((err, c) => {
    if (!(err instanceof VmpoolError)) d.log.error('request failed', { err, request_id: c.get('requestId') });
    return errorResponse(c, err);
  });
  app.notFound((c) => problem(c, 404, 'not_found', 'No such route'));
  app.use('*', async (c, next) => {
    c.set('requestId', c.req.header('x-request-id')?.slice(0, 64) || randomUUID());
    await next();
    c.header('x-request-id', c.get('requestId'));
    d.metrics.httpRequests.inc({ method: c.req.method, status: String(c.res.status) });
  });
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: 256 * 1024,
      // the rest of the body stays unread, so this connection cannot carry another request
      onError: (c) =>
        problem(c, 413, 'payload_too_large', 'Request body exceeds 256 KiB', {}, { connection: 'close' }),
    }),
  );
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/metrics', async (c) =>
    c.text(await d.metrics.render(), 200, { 'content-type': d.metrics.contentType }),
  );
  app.use('/v1/*', async (c, next) => {
    const token = bearerFromHeader(c.req.header('authorization'));
    const principal = token
      ? authenticate(d.store.read(), token, { adminTokenHash: d.adminTokenHash })
      : null;
    if (!principal) return problem(c, 401, 'unauthorized', 'Missing or unknown bearer token');
    c.set('principal', principal);
    await next();
  });
  const admin = async (c: { get: (k: 'principal') => Principal }, next: () => Promise<void>) => {
    if (c.get('principal').kind !== 'admin') throw new VmpoolError('not_found', 'No such route');
    await next();
  };

  app.post('/v1/tenants', admin, async (c) => {
    const body = parseOrThrow(TenantCreateSchema, await jsonBody(c.req.raw), 'tenant');
    const id = `t${randomBytes(4).toString('hex')}`;
    const { token, hash } = generateToken();
    const created_at = new Date().toISOString();
    await d.store.update((s) => {
      s.tenants[id] = { id, name: body.name, token_hash: hash, quota: body.quota, created_at };
    });
    await d.audit.append({
      tenant: id,
      vm: null,
      op: 'tenant.create',
      source: source(c),
      result: 'ok',
    });
    return c.json({ id, name: body.name, quota: body.quota, created_at, token }, 201);
  });
  app.get('/v1/tenants', admin, (c) =>
    c.json({ tenants: Object.values(d.store.read().tenants).map(({ token_hash: _h, ...t }) => t) }),
  );

  app.post('/v1/vms', async (c) => {
    const p = c.get('principal');
    if (p.kind !== 'tenant')
      throw new VmpoolError('bad_request', 'Cannot create a VM as admin: use a tenant token');
    const wait = c.req.query('wait') !== 'false';
    const key = c.req.header('idempotency-key')?.slice(0, 200);
    const body = await jsonBody(c.req.raw);
    const r = await d.vms.create(body, p.tenant.id, {
      wait,
      requestId: c.get('requestId'),
      source: source(c),
      ...(key ? { idempotencyKey: key } : {}),
    });
    return c.json(r.vm, !r.created ? 200 : wait ? 201 : 202);
  });
  app.get('/v1/vms', (c) => c.json({ vms: d.vms.list(caller(c.get('principal'))) }));
  app.get('/v1/vms/:id', (c) => c.json(d.vms.get(c.req.param('id'), caller(c.get('principal')))));
  app.delete('/v1/vms/:id', async (c) => {
    const keepDisk = c.req.query('keep_disk') === 'true';
    await d.vms.destroy(c.req.param('id'), caller(c.get('principal')), source(c), { keepDisk });
    return c.body(null, 204);
  });
  app.post('/v1/placements/dry-run', async (c) =>
    c.json(d.vms.dryRun(await jsonBody(c.req.raw), caller(c.get('principal')))),
  );

  app.get('/v1/nodes', admin, (c) =>
    c.json({ nodes: nodeRows(d.registry.list(), d.store.read(), d.overcommit) }),
  );
  app.get('/v1/nodes/:id', admin, (c) => {
    const entry = d.registry.get(c.req.param('id'));
    if (!entry) throw new VmpoolError('not_found', 'Cannot find node: no such node');
    return c.json(nodeDetail(entry, d.store.read(), d.overcommit));
  });
  app.get('/v1/vmid-bands', admin, (c) => {
    const used = new Set(Object.values(d.store.read().vms).map((v) => v.vmid));
    return c.json({ bands: bandSummary(d.bands.bands, used) });
  });
  app.get('/v1/audit', admin, async (c) => {
    const limit = Math.min(Number(c.req.query('limit') ?? 100) || 100, 10_000);
    const filters = parseOrThrow(AuditFilterSchema, pickQuery(c.req.query(), AUDIT_FILTERS), 'audit query');
    return c.json({ entries: await d.audit.list({ limit, ...filters }) });
  });
  app.get('/v1/audit/verify', admin, async (c) => c.json(await d.verifyAudit()));
  return app;
}

function caller(p: Principal): Caller {
  return p.kind === 'admin' ? { kind: 'admin' } : { kind: 'tenant', tenantId: p.tenant.id };
}

/** source names where a write came from for the audit log: peer address and request id. */
function source(c: { env: unknown; get: (k: 'requestId') => string }): string {
  const peer = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket
    ?.remoteAddress;
  return `http ${peer ?? 'in-process'} ${c.get('requestId')}`;
}

async function jsonBody(req: Request): Promise<unknown> {
  const text = await req.text();
  if (text.trim() === '') throw new VmpoolError('bad_request', 'Cannot read request body: it is empty');
  try {
    return JSON.parse(text);
  } catch {
    throw new VmpoolError('bad_request', 'Cannot read request body: it is not valid JSON');
  }
}
