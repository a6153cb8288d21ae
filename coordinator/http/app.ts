import { randomBytes, randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { type AuditList, AuditQuerySchema } from '../../api/audit.js';
import { NodeIdParamSchema } from '../../api/fleet.js';
import { type DryRunResult, DryRunQuerySchema } from '../../api/placement.js';
import { type TenantCreated, TenantCreateSchema, type TenantList } from '../../api/tenants.js';
import {
  CreateVmQuerySchema,
  CreateVmSchema,
  DestroyVmQuerySchema,
  ListVmsQuerySchema,
  VmIdParamSchema,
  type VmList,
  type VmView,
} from '../../api/vms.js';
import { VmpoolError } from '../../shared/errors.js';
import type { Logger } from '../../shared/log.js';
import type { AuditJournal } from '../audit/index.js';
import { type BandConfig, bandSummary } from '../bands/index.js';
import type { NodeRegistry } from '../registry/registry.js';
import type { Store } from '../store/index.js';
import { bearerFromHeader, generateToken, type Principal, TokenAuthenticator } from '../tenants/index.js';
import { NoCapacityError } from '../vms/errors.js';
import type { Caller, VmService } from '../vms/service.js';
import type { EventRing } from '../events/ring.js';
import type { Metrics } from './metrics.js';
import { registerCapacityRoutes } from './routes-capacity.js';
import { registerEventRoutes } from './routes-events.js';
import type { Placer } from '../placer/placer.js';
import { registerImageRoutes } from './routes-images.js';
import { registerLifecycleRoutes } from './routes-lifecycle.js';
import { registerResizeRoutes } from './routes-resize.js';
import type { Notices } from '../events/notices.js';
import type { Cordons } from '../nodes/cordons.js';
import { registerWebhookRoutes } from './routes-webhooks.js';
import type { Webhooks } from '../webhooks/dispatcher.js';
import { registerWebhookMetrics } from '../webhooks/metrics.js';
import { auditRejectedWrites, auditSource } from './audit-attempts.js';
import { limitBody } from './body-limit.js';
import type { AdminGuard, Env } from './env.js';
import { type RateLimitOptions, rateLimit } from './rate-limit.js';
import { UnauthTally } from './unauth-tally.js';
import { nodeDetail, nodeRows } from './nodes.js';
import { registerKeptDiskRoutes } from './routes-kept-disks.js';
import { type NodeAdminDeps, registerNodeRoutes } from './routes-nodes.js';
import { nameTaken, registerTenantRoutes } from './routes-tenants.js';
import { type ClusterDeps, installClusterRoutes, installHaEdge } from './routes-cluster.js';
import { errorResponse, logRejection, problem } from './problem.js';
import { introspectRoutes } from './routes-introspect.js';
import { registerConsoleRoutes } from './routes-console.js';
import { registerUi } from './routes-ui.js';
import { jsonOf, paramsOf, queryOf, readJsonBody } from './validate.js';

/** AppDeps is everything the HTTP layer calls into. */
export interface AppDeps {
  store: Store;
  registry: NodeRegistry;
  vms: VmService;
  audit: AuditJournal;
  verifyAudit: () => Promise<unknown>;
  /** notices (optional) turns a failed verify into an audit.verify_failed event, for webhooks */
  notices?: Notices;
  /** events is the ring of recent bus events behind GET /v1/events */
  events: EventRing;
  /** webhooks is the failure notifier behind /v1/webhooks */
  webhooks: Webhooks;
  /** cordons are nodes closed to new placements */
  cordons: Cordons;
  /** placer answers capacity what-if questions */
  placer: Placer;
  bands: BandConfig;
  adminTokenHash: string;
  overcommit: number;
  metrics: Metrics;
  log: Logger;
  /** cluster is the HA node and etcd client under --store etcd (absent: single node) */
  cluster?: ClusterDeps;
  /** rateLimit bounds requests per token (none: unlimited, in-process tests) */
  rateLimit?: RateLimitOptions;
  /** nodes: enrolment records, removal and join token rotation (routes-nodes.ts) */
  nodes: NodeAdminDeps;
  /** brokerTokenHash is vmpool-broker's credential for token introspection (unset: no broker) */
  brokerTokenHash?: string;
  /** uiDir holds the built fleet page (default: dist/ui beside the compiled coordinator) */
  uiDir?: string;
  /** unauthTally summarises unauthenticated write attempts in the audit log (default: one per minute) */
  unauthTally?: UnauthTally;
}

/** createApp builds the coordinator's HTTP API: routes validate, call the controller, and map errors once. */
export function createApp(d: AppDeps): Hono<Env> {
  const app = new Hono<Env>();
  // a tenant sees a placement refusal without nodes, pins or occupancy; the admin sees it all
  app.onError((err, c) =>
    errorResponse(
      c,
      err instanceof NoCapacityError && c.get('principal')?.kind === 'tenant' ? err.forTenant() : err,
      d.log,
    ),
  );
  app.notFound((c) => problem(c, 'not_found', 'No such route'));
  app.use('*', async (c, next) => {
    const asked = c.req.header('x-request-id') ?? '';
    // the client's id is kept only when it is plain text: it lands in journal fields and log lines
    c.set('requestId', /^[A-Za-z0-9._:-]{1,64}$/.test(asked) ? asked : randomUUID());
    await next();
    tagResponse(c, 'x-request-id', c.get('requestId'));
    const status = c.res.status;
    d.metrics.httpRequests.inc({ method: c.req.method, status: String(status) });
    if (status < 400 || status >= 500) return; // logRejection's own test, before c.req.path is parsed
    const principal = c.get('principal');
    logRejection(d.log, {
      method: c.req.method,
      path: c.req.path,
      status,
      code: c.get('errorCode'),
      detail: c.get('errorDetail'),
      requestId: c.get('requestId'),
      tenantId: principal?.kind === 'tenant' ? principal.tenant.id : undefined,
    });
  });
  app.use(
    '/v1/*',
    // the rest of the body stays unread, so this connection cannot carry another request
    limitBody(256 * 1024, (c) =>
      problem(c, 'payload_too_large', 'Request body exceeds 256 KiB', {}, { connection: 'close' }),
    ),
  );
  if (d.cluster) installHaEdge(app, d.cluster);
  app.get('/healthz', (c) => c.json({ ok: true }));
  registerUi(app, d.uiDir);
  app.get('/metrics', async (c) =>
    c.body(await d.metrics.renderBody(), 200, { 'content-type': d.metrics.contentType }),
  );
  app.route('/', introspectRoutes({ store: d.store, brokerTokenHash: d.brokerTokenHash }));
  app.use('/v1/*', auditRejectedWrites(d.audit, d.log, d.unauthTally ?? new UnauthTally(d.audit, d.log)));
  const tokens = new TokenAuthenticator({ adminTokenHash: d.adminTokenHash });
  app.use('/v1/*', (c, next) => {
    const token = bearerFromHeader(c.req.header('authorization'));
    const principal = token ? tokens.authenticate(d.store.read(), token, connOf(c)) : null;
    if (!principal) return Promise.resolve(problem(c, 'unauthorized', 'Missing or unknown bearer token'));
    c.set('principal', principal);
    return next();
  });
  if (d.rateLimit) app.use('/v1/*', rateLimit(d.rateLimit));
  // the guards and the auth above are plain functions returning next(): one promise less per layer
  const admin: AdminGuard = (c: { get: (k: 'principal') => Principal }, next: () => Promise<void>) => {
    if (c.get('principal').kind !== 'admin') throw new VmpoolError('not_found', 'No such route');
    return next();
  };

  // before the body is parsed, so an admin token gets bad_request whatever it sent
  const tenantOnly = (c: { get: (k: 'principal') => Principal }, next: () => Promise<void>) => {
    tenantIdOf(c.get('principal'));
    return next();
  };

  installClusterRoutes(app, d.cluster ?? { ha: null, etcd: null, log: d.log });
  app.post('/v1/tenants', admin, jsonOf(TenantCreateSchema, 'tenant'), async (c) => {
    const body = c.req.valid('json');
    if (nameTaken(d.store.read(), body.name))
      throw new VmpoolError('name_in_use', `Cannot create tenant: name "${body.name}" is taken`);
    const id = `t${randomBytes(16).toString('hex')}`; // 128 bits: no collision check needed
    const { token, hash } = generateToken();
    const created_at = new Date().toISOString();
    await d.store.update((s) => {
      s.tenants[id] = { id, name: body.name, token_hash: hash, quota: body.quota, created_at };
    });
    try {
      await d.audit.append({ tenant: id, vm: null, op: 'tenant.create', source: source(c), result: 'ok' });
    } catch (err) {
      // no tenant without its audit entry
      await d.store.update((s) => {
        delete s.tenants[id];
      });
      throw err;
    }
    d.log.info('tenant created', { tenant_id: id, name: body.name, request_id: c.get('requestId') });
    return c.json({ id, name: body.name, quota: body.quota, created_at, token } satisfies TenantCreated, 201);
  });
  app.get('/v1/tenants', admin, (c) =>
    c.json({
      tenants: Object.values(d.store.read().tenants).map(({ token_hash: _h, ...t }) => t),
    } satisfies TenantList),
  );

  app.post('/v1/vms', tenantOnly, queryOf(CreateVmQuerySchema), async (c) => {
    const tenantId = tenantIdOf(c.get('principal'));
    const { wait } = c.req.valid('query');
    const key = c.req.header('idempotency-key')?.slice(0, 200);
    // the service parses the body with CreateVmSchema ('VM request'), as jsonOf would have
    const r = await d.vms.create(await readJsonBody(c), tenantId, {
      wait,
      requestId: c.get('requestId'),
      source: source(c),
      ...(key ? { idempotencyKey: key } : {}),
    });
    return c.json(r.vm satisfies VmView, !r.created ? 200 : wait ? 201 : 202);
  });
  app.get('/v1/vms', queryOf(ListVmsQuerySchema), (c) => {
    const { limit, cursor, ...filter } = c.req.valid('query');
    return c.json(d.vms.page(caller(c.get('principal')), filter, limit, cursor) satisfies VmList);
  });
  app.get('/v1/vms/:id', paramsOf(VmIdParamSchema), (c) =>
    c.json(d.vms.get(c.req.valid('param').id, caller(c.get('principal'))) satisfies VmView),
  );
  registerConsoleRoutes(app, d.vms, caller);
  app.delete('/v1/vms/:id', paramsOf(VmIdParamSchema), queryOf(DestroyVmQuerySchema), async (c) => {
    const keepDisk = c.req.valid('query').keep_disk;
    await d.vms.destroy(c.req.valid('param').id, caller(c.get('principal')), source(c), {
      keepDisk,
      requestId: c.get('requestId'),
    });
    return c.body(null, 204);
  });
  app.post(
    '/v1/placements/dry-run',
    queryOf(DryRunQuerySchema),
    jsonOf(CreateVmSchema, 'placement request'),
    async (c) =>
      c.json(
        d.vms.dryRun(
          c.req.valid('json'),
          caller(c.get('principal')),
          c.req.valid('query').detail,
        ) satisfies DryRunResult,
      ),
  );

  app.get('/v1/nodes', admin, (c) =>
    c.json({ nodes: nodeRows(d.registry.list(), d.store.read(), d.overcommit, d.vms.claimsOf()) }),
  );
  app.get('/v1/nodes/:id', admin, paramsOf(NodeIdParamSchema), (c) => {
    const entry = d.registry.get(c.req.valid('param').id);
    if (!entry) throw new VmpoolError('not_found', 'Cannot find node: no such node');
    return c.json(nodeDetail(entry, d.store.read(), d.overcommit));
  });
  registerNodeRoutes(app, admin, d.nodes, source);
  registerTenantRoutes(
    app,
    admin,
    { store: d.store, audit: d.audit, usage: (id) => d.vms.tenantUsage(id) },
    source,
  );
  registerKeptDiskRoutes(app, admin, { store: d.store, vms: d.vms, audit: d.audit }, source);
  app.get('/v1/vmid-bands', admin, (c) => {
    const used = new Set(Object.values(d.store.read().vms).map((v) => v.vmid));
    return c.json({ bands: bandSummary(d.bands.bands, used) });
  });
  app.get('/v1/audit', admin, queryOf(AuditQuerySchema), async (c) => {
    const { limit, tenant, vm, since, before } = c.req.valid('query');
    const entries = await d.audit.list({
      limit,
      ...(tenant ? { tenant } : {}),
      ...(vm ? { vm } : {}),
      ...(since !== undefined ? { since } : {}),
      ...(before !== undefined ? { before } : {}),
    });
    return c.json({ entries } satisfies AuditList);
  });
  app.get('/v1/audit/verify', admin, async (c) => {
    const verdict = (await d.verifyAudit()) as { ok: boolean; line?: number; reason?: string };
    if (!verdict.ok) await d.notices?.auditVerifyFailed(verdict.line ?? 0, verdict.reason ?? 'unknown');
    return c.json(verdict);
  });
  registerEventRoutes(app, d);
  registerWebhookRoutes(app, d);
  registerLifecycleRoutes(app, d);
  registerResizeRoutes(app, d.vms);
  registerImageRoutes(app, d);
  registerCapacityRoutes(app, d);
  registerWebhookMetrics(d.metrics.registry, d.webhooks);
  return app;
}

function tenantIdOf(p: Principal): string {
  if (p.kind !== 'tenant')
    throw new VmpoolError('bad_request', 'Cannot create a VM as admin: use a tenant token');
  return p.tenant.id;
}

/** caller turns the authenticated principal into the service's caller. */
export function caller(p: Principal): Caller {
  return p.kind === 'admin' ? { kind: 'admin' } : { kind: 'tenant', tenantId: p.tenant.id };
}

/**
 * tagResponse sets a header on the finished response in place. hono's c.header() on a finished
 * response copies it into a new web Response (body stream and all), which @hono/node-server then
 * has to stream out instead of writing its body at once; that copy is kept only for a response
 * whose headers cannot change (one fetched from elsewhere, e.g. an HA follower's proxied answer).
 */
function tagResponse(c: Context<Env>, name: string, value: string): void {
  try {
    c.res.headers.set(name, value);
  } catch {
    c.header(name, value);
  }
}

/** connOf is the request's TCP socket (undefined for app.request in tests): auth remembers a token per connection. */
function connOf(c: Context<Env>): object | undefined {
  return (c.env as { incoming?: { socket?: object } } | undefined)?.incoming?.socket;
}

/** source names where a write came from for the audit log: peer address and principal, never client text. */
function source(c: Context<Env>): string {
  return auditSource(c);
}
