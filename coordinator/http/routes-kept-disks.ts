import type { Context, Hono } from 'hono';
import { type KeptDiskList, KeptDiskParamSchema } from '../../api/kept-disks.js';
import type { AuditJournal } from '../audit/index.js';
import type { Store } from '../store/index.js';
import type { VmService } from '../vms/service.js';
import type { AdminGuard, Env } from './env.js';
import { paramsOf } from './validate.js';

/** KeptDiskDeps are what the kept-disk routes read and change. */
export interface KeptDiskDeps {
  store: Store;
  vms: VmService;
  audit: AuditJournal;
}

/**
 * registerKeptDiskRoutes adds the admin's view of disks a `keep_disk=true` destroy left on nodes:
 * GET /v1/kept-disks lists them, DELETE /v1/kept-disks/{id} has the node delete the files, then
 * forgets the record (a node that cannot be reached leaves the record in place: 503).
 */
export function registerKeptDiskRoutes(
  app: Hono<Env>,
  admin: AdminGuard,
  d: KeptDiskDeps,
  source: (c: Context<Env>) => string,
): void {
  app.get('/v1/kept-disks', admin, (c) =>
    c.json({
      kept_disks: Object.values(d.store.read().kept_disks ?? {}).sort((a, b) =>
        a.kept_at.localeCompare(b.kept_at),
      ),
    } satisfies KeptDiskList),
  );
  app.delete('/v1/kept-disks/:id', admin, paramsOf(KeptDiskParamSchema), async (c) => {
    const rec = await d.vms.removeKept(c.req.valid('param').id);
    await d.audit.append({
      tenant: rec.tenant,
      vm: rec.id,
      op: 'kept_disks.remove',
      source: source(c),
      result: 'ok',
    });
    return c.body(null, 204);
  });
}
