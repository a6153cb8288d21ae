import type { Hono } from 'hono';
import { ResizeBodySchema } from '../../api/lifecycle.js';
import { VmIdParamSchema } from '../../api/vms.js';
import type { Principal } from '../tenants/index.js';
import type { VmService } from '../vms/service.js';
import { jsonOf, paramsOf } from './validate.js';

type Env = { Variables: { principal: Principal; requestId: string } };

/**
 * registerResizeRoutes adds POST /v1/vms/{ref}/resize {vcpu_count?, memory_mb?, disk_size_gb?}: a
 * stopped VM re-placed on its own node (409 no_capacity with the placement summary when it does not
 * fit), disk grow only (422 disk_shrink_refused), quota checked; its owner or the admin.
 */
export function registerResizeRoutes(app: Hono<Env>, vms: VmService): void {
  app.post('/v1/vms/:id/resize', paramsOf(VmIdParamSchema), jsonOf(ResizeBodySchema, 'resize'), async (c) => {
    const p = c.get('principal');
    const caller =
      p.kind === 'admin'
        ? ({ kind: 'admin' } as const)
        : ({ kind: 'tenant', tenantId: p.tenant.id } as const);
    const vm = await vms.resize(c.req.valid('param').id, caller, c.req.valid('json'), {
      source: `http ${c.get('requestId')}`,
      requestId: c.get('requestId'),
    });
    return c.json(vm);
  });
}
