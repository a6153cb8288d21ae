import type { Context, Hono } from 'hono';
import {
  type Tenant,
  TenantIdParamSchema,
  type TenantSelf,
  type TenantUsage,
  TenantUpdateSchema,
  TokenRotateSchema,
  type TokenRotated,
} from '../../api/tenants.js';
import { VmpoolError } from '../../shared/errors.js';
import type { AuditJournal } from '../audit/index.js';
import type { Store, StoreState, TenantRecord } from '../store/index.js';
import { generateToken } from '../tenants/index.js';
import { checkQuotaCovers, tenantUsage } from '../tenants/quota.js';
import type { AdminGuard, Env } from './env.js';
import { jsonOf, paramsOf } from './validate.js';

/** TenantAdminDeps are what the tenant lifecycle routes change. */
export interface TenantAdminDeps {
  store: Store;
  audit: AuditJournal;
  /**
   * usage (optional) is a tenant's usage from the create-path index, kept as the store changes;
   * without it the routes sum the store's VMs (each read walks every VM)
   */
  usage?: (tenantId: string) => TenantUsage;
  now?: () => Date;
}

type Source = (c: Context<Env>) => string;

/** publicTenant is a tenant without any token material. */
export function publicTenant(t: TenantRecord): Tenant {
  return { id: t.id, name: t.name, quota: t.quota, created_at: t.created_at };
}

/** nameTaken says whether another tenant already uses `name` (names are unique, case-insensitive). */
export function nameTaken(state: StoreState, name: string, except?: string): boolean {
  const n = name.toLowerCase();
  return Object.values(state.tenants).some((t) => t.id !== except && t.name.toLowerCase() === n);
}

/** scanUsage is what the tenant's VMs in `state` hold against its quota, summed over every VM. */
function scanUsage(state: StoreState, tenantId: string): TenantUsage {
  return tenantUsage(Object.values(state.vms).filter((v) => v.tenant === tenantId));
}

/**
 * registerTenantRoutes adds the tenant lifecycle: PATCH (name, quota) and DELETE (refused while it
 * owns VMs) of /v1/tenants/{id}, token rotation with a grace period and revocation, and
 * GET /v1/tenant for a tenant's own quota and usage. Each change is audited before it lands.
 */
export function registerTenantRoutes(
  app: Hono<Env>,
  admin: AdminGuard,
  d: TenantAdminDeps,
  source: Source,
): void {
  const now = d.now ?? (() => new Date());
  // the index reflects every committed update, so inside an update's mutator (which leaves VMs as
  // they are) it equals the draft's usage too
  const usageOf = (state: StoreState, id: string) => (d.usage ? d.usage(id) : scanUsage(state, id));
  const find = (id: string): TenantRecord => {
    const t = d.store.read().tenants;
    if (!Object.hasOwn(t, id)) throw new VmpoolError('not_found', 'Cannot find tenant: no such tenant');
    return t[id]!;
  };
  const audited = (c: Context<Env>, id: string, op: string) =>
    d.audit.append({ tenant: id, vm: null, op, source: source(c), result: 'ok' });

  app.get('/v1/tenants/:id', admin, paramsOf(TenantIdParamSchema), (c) => {
    const t = find(c.req.valid('param').id);
    return c.json({ ...publicTenant(t), usage: usageOf(d.store.read(), t.id) } satisfies TenantSelf);
  });
  app.patch(
    '/v1/tenants/:id',
    admin,
    paramsOf(TenantIdParamSchema),
    jsonOf(TenantUpdateSchema, 'tenant update'),
    async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      const current = find(id);
      if (body.name !== undefined && nameTaken(d.store.read(), body.name, id))
        throw new VmpoolError('name_in_use', `Cannot rename tenant: name "${body.name}" is taken`);
      const guard = (state: StoreState, t: TenantRecord) => {
        if (body.quota && !body.force) checkQuotaCovers(t, body.quota, usageOf(state, id));
      };
      guard(d.store.read(), current);
      await audited(c, id, body.force ? 'tenant.update forced' : 'tenant.update');
      await d.store.update((s) => {
        const t = s.tenants[id];
        if (!t) return;
        guard(s, t); // a create admitted since the check above counts too
        if (body.name !== undefined) t.name = body.name;
        if (body.quota !== undefined) t.quota = body.quota;
      });
      return c.json(publicTenant(find(id)) satisfies Tenant);
    },
  );
  app.delete('/v1/tenants/:id', admin, paramsOf(TenantIdParamSchema), async (c) => {
    const { id } = c.req.valid('param');
    find(id);
    const owned = usageOf(d.store.read(), id).vms;
    if (owned > 0)
      throw new VmpoolError(
        'conflict',
        `Cannot delete tenant "${id}": it owns ${owned} VMs; destroy them first`,
      );
    await audited(c, id, 'tenant.delete');
    await d.store.update((s) => {
      delete s.tenants[id];
      for (const k of Object.keys(s.idempotency)) if (k.startsWith(`${id}:`)) delete s.idempotency[k];
    });
    return c.body(null, 204);
  });
  app.post(
    '/v1/tenants/:id/token',
    admin,
    paramsOf(TenantIdParamSchema),
    jsonOf(TokenRotateSchema, 'token rotation'),
    async (c) => {
      const { id } = c.req.valid('param');
      const old = find(id);
      const until = new Date(now().getTime() + c.req.valid('json').grace_seconds * 1000).toISOString();
      const { token, hash } = generateToken();
      await audited(c, id, 'tenant.token_rotate');
      await d.store.update((s) => {
        const t = s.tenants[id];
        if (t) Object.assign(t, { token_hash: hash, previous_token: { hash: old.token_hash, until } });
      });
      return c.json({ token, old_token_valid_until: until } satisfies TokenRotated, 201);
    },
  );
  app.delete('/v1/tenants/:id/token', admin, paramsOf(TenantIdParamSchema), async (c) => {
    const { id } = c.req.valid('param');
    find(id);
    await audited(c, id, 'tenant.token_revoke');
    await d.store.update((s) => {
      const t = s.tenants[id];
      if (!t) return;
      t.token_hash = 'revoked'; // no sha256 hex digest equals this
      delete t.previous_token;
    });
    return c.body(null, 204);
  });
  app.get('/v1/tenant', (c) => {
    const p = c.get('principal');
    if (p.kind !== 'tenant')
      throw new VmpoolError('bad_request', 'Cannot show the caller tenant: use a tenant token');
    const t = find(p.tenant.id);
    return c.json({ ...publicTenant(t), usage: usageOf(d.store.read(), t.id) } satisfies TenantSelf);
  });
}
